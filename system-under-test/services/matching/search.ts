import { EARTH_RADIUS_M } from './geo.ts';

/** How far around the requested time a departure still matches. */
export const WINDOW_MS = 15 * 60_000;
/** Cache cells: 0.01° (about 1.1 km) squares and 5-minute time buckets. */
export const CELL_DEG = 0.01;
export const BUCKET_MS = 5 * 60_000;
export const MAX_RESULTS = 20;

export interface Candidate {
  routeId: number;
  driverId: number;
  lat: number;
  lng: number;
  eta: number;
  seatsAvailable: number;
  priceMinor: number;
  currency: string;
  rating: number;
}

export interface SearchParams {
  lat: number;
  lng: number;
  time: number;
  seats: number;
  radiusM: number;
}

export interface CellQuery {
  key: string;
  lat: number;
  lng: number;
  radiusM: number;
  from: Date;
  to: Date;
}

/**
 * The cached unit is a cell, not a point: candidates for the whole cell and time bucket are
 * fetched with the radius widened by the cell's half-diagonal and the window by a bucket,
 * then every request filters them exactly for its own point and time. Nearby searches share
 * cache entries without answering anyone with results outside their radius or window.
 */
export function cellQuery(params: SearchParams): CellQuery {
  const cellLat = Math.floor(params.lat / CELL_DEG);
  const cellLng = Math.floor(params.lng / CELL_DEG);
  const bucket = Math.floor(params.time / BUCKET_MS);
  const lat = (cellLat + 0.5) * CELL_DEG;
  const lng = (cellLng + 0.5) * CELL_DEG;
  const halfDiagonalM = haversine(lat, lng, lat + CELL_DEG / 2, lng + CELL_DEG / 2);
  return {
    key: `search:v1:${cellLat}:${cellLng}:${bucket}:${params.seats}:${params.radiusM}`,
    lat,
    lng,
    radiusM: params.radiusM + halfDiagonalM + 1,
    from: new Date(bucket * BUCKET_MS - WINDOW_MS),
    to: new Date((bucket + 1) * BUCKET_MS + WINDOW_MS),
  };
}

/** A lat/lng box that contains the circle of `radiusM` around a point (for the GiST point index). */
export function boundingBox(lat: number, lng: number, radiusM: number): { minLng: number; minLat: number; maxLng: number; maxLat: number } {
  const dLat = (radiusM / EARTH_RADIUS_M) * (180 / Math.PI);
  // Widen longitude at the box's edge nearest the pole, where a degree of longitude is shortest.
  const edgeLat = Math.min(89.9, Math.abs(lat) + dLat);
  const dLng = dLat / Math.cos((edgeLat * Math.PI) / 180);
  return { minLng: Math.max(-180, lng - dLng), minLat: Math.max(-90, lat - dLat), maxLng: Math.min(180, lng + dLng), maxLat: Math.min(90, lat + dLat) };
}

export function haversine(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface Result {
  routeId: number;
  driverId: number;
  departureAt: string;
  seatsAvailable: number;
  priceMinor: number;
  distanceM: number;
  score: number;
  explanation: string;
}

const formatMoney = (minor: number, currency: string) => {
  const digits = currency === 'RWF' ? 0 : 2;
  return `${currency} ${(minor / 10 ** digits).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
};

/** How a search ranks: `v1` the original score; `v2` also prefers routes with seats to spare. */
export type Scoring = 'v1' | 'v2';

/**
 * Exact filter and ranking. v1's score blends distance to the pickup stop (40 %), closeness to
 * the requested time (30 %), price relative to the other matches (15 %) and driver rating (15 %).
 * v2 (the canary's candidate) takes 10 % from distance and 5 % from rating for seat headroom:
 * a route left with one seat after this booking is likelier to be gone before the rider books,
 * so two seats to spare or more score full marks, none scores zero.
 */
export function rank(candidates: readonly Candidate[], params: SearchParams, scoring: Scoring = 'v1'): Result[] {
  const best = new Map<number, { candidate: Candidate; distanceM: number; deltaMs: number }>();
  for (const candidate of candidates) {
    if (candidate.seatsAvailable < params.seats) continue;
    const deltaMs = candidate.eta - params.time;
    if (Math.abs(deltaMs) > WINDOW_MS) continue;
    const distanceM = haversine(params.lat, params.lng, candidate.lat, candidate.lng);
    if (distanceM > params.radiusM) continue;
    const seen = best.get(candidate.routeId);
    if (!seen || distanceM < seen.distanceM) best.set(candidate.routeId, { candidate, distanceM, deltaMs });
  }
  const matches = [...best.values()];
  const prices = matches.map((match) => match.candidate.priceMinor);
  const minPrice = Math.min(...prices);
  const priceSpan = Math.max(...prices) - minPrice;
  return matches
    .map(({ candidate, distanceM, deltaMs }) => {
      const distanceScore = 1 - distanceM / params.radiusM;
      const timeScore = 1 - Math.abs(deltaMs) / WINDOW_MS;
      const priceScore = priceSpan > 0 ? 1 - (candidate.priceMinor - minPrice) / priceSpan : 1;
      const ratingScore = Math.min(1, Math.max(0, (candidate.rating - 1) / 4));
      const spare = candidate.seatsAvailable - params.seats;
      const headroomScore = Math.min(1, spare / 2);
      const score =
        scoring === 'v1'
          ? 0.4 * distanceScore + 0.3 * timeScore + 0.15 * priceScore + 0.15 * ratingScore
          : 0.3 * distanceScore + 0.3 * timeScore + 0.15 * priceScore + 0.1 * ratingScore + 0.15 * headroomScore;
      const minutes = Math.round(Math.abs(deltaMs) / 60_000);
      const when = minutes === 0 ? 'at the requested time' : `${minutes} min ${deltaMs < 0 ? 'before' : 'after'} the requested time`;
      return {
        routeId: candidate.routeId,
        driverId: candidate.driverId,
        departureAt: new Date(candidate.eta).toISOString(),
        seatsAvailable: candidate.seatsAvailable,
        priceMinor: candidate.priceMinor,
        distanceM: Math.round(distanceM),
        score: Math.round(score * 1000) / 1000,
        explanation: `pickup ${Math.round(distanceM)} m away, leaves ${when}, driver rated ${candidate.rating.toFixed(1)}, fare ${formatMoney(candidate.priceMinor, candidate.currency)}${scoring === 'v2' ? `, ${spare} seat${spare === 1 ? '' : 's'} to spare` : ''}`,
      };
    })
    .sort((a, b) => b.score - a.score || a.distanceM - b.distanceM || a.routeId - b.routeId)
    .slice(0, MAX_RESULTS);
}
