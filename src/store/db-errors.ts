/** Database errors that mean "not reachable right now" rather than "this request is wrong". */
export function isDatabaseDown(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  const message = String((err as Error)?.message ?? '');
  return (
    code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P01' || code === '57P02' || code === '57P03' || code === '08006' || code === '08001' || code === '08003' ||
    /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error|Connection ended unexpectedly/i.test(message)
  );
}
