/** The sphere radius of PostgreSQL's earthdistance (earth()), so JS and SQL distances agree. */
export const EARTH_RADIUS_M = 6_378_168;
