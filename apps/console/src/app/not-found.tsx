import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="container stack">
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <Link href="/runs">Go to runs</Link>.
      </p>
    </main>
  );
}
