// One-line summaries of activities for the Temporal UI (user metadata on
// each scheduled activity): the event history then reads as the story of
// the run — "audit gates: rejected — val_accuracy 0.71 < min 0.8" — instead
// of a column of activity names. Metadata only: replay does not compare it.

const MAX = 200;

/** The activity option that names what a call does, cut to one line of at most 200 characters. */
export function said(text: string): { readonly summary: string } {
  const line = text.replace(/\s+/g, ' ').trim();
  return { summary: line.length > MAX ? `${line.slice(0, MAX - 1)}…` : line };
}
