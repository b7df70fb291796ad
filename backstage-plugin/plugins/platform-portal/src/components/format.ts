/** Formatting for the cards: pure functions over plain values. */

export function percent(fraction: number, digits = 0): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency, maximumFractionDigits: 2 }).format(
      amount,
    );
  } catch {
    return `${amount.toFixed(2)} ${currency}`; // not an ISO 4217 code
  }
}

/** "+12.5%" or "-3.0%"; "no earlier period" when there is nothing to compare with. */
export function trend(trendPercent: number | null): string {
  if (trendPercent === null || !Number.isFinite(trendPercent)) return 'no earlier period to compare';
  const sign = trendPercent > 0 ? '+' : '';
  return `${sign}${trendPercent.toFixed(1)}% against the 30 days before`;
}

export function burnRate(rate: number | undefined): string {
  return rate === undefined ? '–' : `${rate.toFixed(rate >= 10 ? 0 : 1)}×`;
}

export function day(isoDate: string): string {
  return isoDate.slice(0, 10);
}

/** A 0..100 score: "72/100", "87.5/100". */
export function score(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(1)}/100`;
}
