/**
 * RFC 3339 timestamps as filters and payload indexes compare them: parsed here, not by
 * `Date.parse`, whose reading of a timestamp without an offset depends on the process's
 * time zone (replicas in different zones would then apply and answer differently).
 *
 * Accepted: `YYYY-MM-DD`, and `YYYY-MM-DD` `T` (or a space) `HH:MM[:SS[.fraction]]`,
 * optionally followed by `Z` or `±HH:MM`. No offset means UTC, as in Qdrant.
 */

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))?)?$/;

const daysIn = (year: number, month: number): number =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/**
 * Milliseconds since the Unix epoch (with a fraction below a millisecond) of an RFC 3339
 * timestamp; undefined when `text` is not one (or names a day or time that does not exist).
 */
export function parseDatetime(text: string): number | undefined {
  if (text.length > 40) return undefined;
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  return date.getTime() - offsetMinutes * 60_000 + fraction;
}
