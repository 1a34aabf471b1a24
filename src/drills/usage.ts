import { SCENARIOS } from './scenarios.ts';

/** The drill command's part of `kinkyu --help` (kept apart so the CLI loads the drills only when it runs one). */
export const DRILL_USAGE = `  kinkyu drill --scenario ${SCENARIOS.join('|')} [--surge N] [--takeovers N] [--no-monitors]
               [--interactive] [--lang ja|en] [--out FILE]
                                        run a drill in the sandbox (the public page, API, feeds and real
                                        subscribers see nothing); scripted to the end, its report printed and
                                        kept (exit 1 if a check failed); --interactive only starts it: people
                                        play it from the console (/staff/drills)
  kinkyu drill finish --id ID [--out FILE]  finish a running drill and keep its report
  kinkyu drill report --id ID [--out FILE]  print a drill's report (--out FILE.json for JSON)`;
