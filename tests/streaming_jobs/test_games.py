"""Game identity across spellings: measured on the synthetic market's names with the perturbations
platforms really apply (trademark signs, editions, punctuation, case)."""

from gamestream.core.catalog import categories
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
    names = [c.name for c in categories()]
    trials = [(name, perturb(name)) for name in names for perturb in PERTURBATIONS]
    missed = [
        (original, perturbed) for original, perturbed in trials if identify(original).key != identify(perturbed).key
    ]
    assert missed == []
    keys = {}
    for name in names:
        keys.setdefault(identify(name).key, []).append(name)
    # different games never collapse; only an edition of one game meets that game
    assert {k: v for k, v in keys.items() if len(v) > 1} == {"nioh 2": ["Nioh 2: The Complete Edition", "Nioh 2"]}


def test_overrides_know_aliases_and_non_games():
    assert identify("CS:GO").key == identify("Counter-Strike: Global Offensive").key
    assert identify("PUBG: BATTLEGROUNDS").name == "PLAYERUNKNOWN'S BATTLEGROUNDS"
    assert identify("Just Chatting").is_game is False
    assert identify("Pok<U+00E9>mon Sword/Shield").key == identify("Pokémon Sword/Shield").key == "pokemon sword shield"
