/** The API's answers and the live feed's messages, as generated from the API's OpenAPI document
 * (src/generated/api.ts: `npm run types`, checked current by `npm test`): never written by hand. */
import type { components } from "./generated/api";

type Schemas = components["schemas"];

export type Overview = Schemas["Overview"];
export type Movers = Schemas["Movers"];
export type Ranking = Schemas["Ranking"];
export type RankedGame = Schemas["RankedGame"];
export type Game = Schemas["Game"];
export type Series = Schemas["Series"];
export type GameMonths = Schemas["GameMonths"];
export type PlatformMonths = Schemas["PlatformMonths"];
export type MonthTable = Schemas["MonthTable"];

export type LiveMessage = Schemas["LiveMessage"];
export type ChangeMessage = Schemas["ChangeMessage"];
export type LivePlatform = Schemas["LivePlatform"];
export type LiveGame = Schemas["LiveGame"];
export type ChannelMonthTable = Schemas["ChannelMonthTable"];
export type Channel = Schemas["Channel"];
export type ChannelSeries = Schemas["ChannelSeries"];
export type GameChannels = Schemas["GameChannels"];
export type GameLanguages = Schemas["GameLanguages"];
export type LanguageShare = Schemas["LanguageShare"];
