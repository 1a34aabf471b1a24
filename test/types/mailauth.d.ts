// mailauth ships no type declarations; this is the part the tests use (lib/dkim/verify.js).
declare module 'mailauth/lib/dkim/verify.js' {
  export interface DkimResult {
    signingDomain: string;
    selector: string;
    status: { result: 'pass' | 'fail' | 'neutral' | 'none' | 'policy' | 'temperror' | 'permerror'; comment?: string; header?: Record<string, string> };
  }
  export function dkimVerify(
    input: Buffer | string,
    options: { resolver: (name: string, type: string) => Promise<string[][]>; curTime?: Date },
  ): Promise<{ results: DkimResult[] }>;
}
