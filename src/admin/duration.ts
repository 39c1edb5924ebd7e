/**
 * Milliseconds in an ISO 8601 duration of days, hours, minutes and seconds (`P1D`, `PT15M`,
 * `PT1.5S`, `P1DT2H`); undefined for anything else (years and months have no fixed length).
 */
export function parseDuration(text: string): number | undefined {
  const m = /^P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m) return undefined;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return Math.round(((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000);
}

/** What an accepted duration looks like, in words, for error messages. */
export const DURATION_FORM =
  'an ISO 8601 duration: P, then days as <n>D, then T and hours <n>H, minutes <n>M, seconds <n>S (e.g. PT10M for ten minutes, PT1.5S, P1DT2H); years and months are not accepted';
