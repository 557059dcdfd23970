import { Fragment } from 'react';

const URL_PATTERN = /https?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]}]/g;

/** Plain text with its http(s) URLs as links; everything else stays text (never HTML). */
export function LinkifiedText({ text }: { text: string }) {
  const parts: Array<{ text: string; url: boolean }> = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0;
    if (start > last) parts.push({ text: text.slice(last, start), url: false });
    parts.push({ text: match[0], url: true });
    last = start + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), url: false });
  return (
    <>
      {parts.map((part, i) =>
        part.url ? (
          <a key={i} href={part.text} rel="noreferrer">
            {part.text}
          </a>
        ) : (
          <Fragment key={i}>{part.text}</Fragment>
        ),
      )}
    </>
  );
}
