/** The JSON lines the product's logger (Powertools) writes while some work runs. */

/**
 * Runs `work`, keeping the fargate-jobs log lines written meanwhile (Powertools: warnings and errors on
 * stderr, the rest on stdout) instead of printing them; other output passes through.
 */
export async function captureLogs<T>(work: () => Promise<T>): Promise<{ result: T; logs: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  streams.forEach((stream, index) => {
    const write = writes[index] as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' && chunk.includes('"service":"fargate-jobs"')) {
        lines.push(chunk);
        return true;
      }
      return write.call(stream, chunk, ...rest);
    }) as typeof stream.write;
  });
  try {
    const result = await work();
    return { result, logs: lines.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line) as Record<string, unknown>) };
  } finally {
    streams.forEach((stream, index) => {
      stream.write = writes[index] as typeof stream.write;
    });
  }
}
