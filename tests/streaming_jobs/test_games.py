"""Game identity across spellings: measured on the synthetic market's names with the perturbations
platforms really apply (trademark signs, editions, punctuation, case)."""

import random

from producers.catalog import categories
from streaming_jobs.games import identify

PERTURBATIONS = [
    lambda n: n + "™",
    lambda n: n.upper(),
    lambda n: n.lower(),
    lambda n: n + ": Definitive Edition",
    lambda n: n + " - Game of the Year Edition",
    lambda n: n.replace(":", " -"),
    lambda n: n + " (Remastered)",
    lambda n: n.replace(" ", "  "),
    lambda n: n.replace("'", "’"),
    lambda n: n + "®",
]


def test_perturbed_names_meet_their_game():
    rng = random.Random(7)
    names = [c.name for c in categories()]
    trials = [(name, rng.choice(PERTURBATIONS)(name)) for name in names for _ in range(5)]
    matched = sum(identify(original).key == identify(perturbed).key for original, perturbed in trials)
    rate = matched / len(trials)
    print(f"game identity: {matched}/{len(trials)} perturbed names matched ({rate:.1%})")
    assert rate >= 0.97
    distinct = {identify(n).key for n in names}
    assert len(distinct) >= len(names) - 3  # different games do not collapse (only editions of one game do)


def test_overrides_know_aliases_and_non_games():
    assert identify("CS:GO").key == identify("Counter-Strike: Global Offensive").key
    assert identify("PUBG: BATTLEGROUNDS").name == "PLAYERUNKNOWN'S BATTLEGROUNDS"
    assert identify("Just Chatting").is_game is False
    assert identify("Pok<U+00E9>mon Sword/Shield").key == identify("Pokémon Sword/Shield").key == "pokemon sword shield"
