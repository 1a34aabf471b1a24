import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { openDb, type Db } from '../store/db.ts';
import { DataDirInUseError } from '../store/data-dir-lock.ts';
import { migrate } from '../store/migrate.ts';
import { seedDemoData } from '../status/demo-data.ts';
import { applyComponentConfig, exportComponentConfig, parseComponentConfig } from '../status/component-config.ts';
import { readFile } from 'node:fs/promises';
import { isAuditKeyError } from '../audit/audit-key.ts';
import { CheckpointFormatError } from '../audit/checkpoint.ts';
import { EXIT_USAGE, optionalCheckpointSource, auditCheckpoint, auditNewKey, auditRotateKey, auditVerify, useAuditKey } from './audit-commands.ts';
import { countStaff, createStaff, generatePassword } from '../staff/accounts.ts';
import type { buildApp as BuildApp } from '../server.ts';
import { seedDemoTickets } from '../desk/demo-tickets.ts';
import { readCorpus } from '../desk/triage/corpus.ts';
import { formatRetrain, retrain } from '../desk/triage/retrain.ts';
import { seedDemoNotices } from '../notices/demo-notices.ts';
import { DEMO_USER_EMAIL, DEMO_USER_PASSWORD, seedDemoUser } from '../security-center/user-accounts.ts';
import { exportStatic } from '../status/static-export.ts';
import { PublicSite, siteOptionsFromConfig } from '../status/page/site.ts';
import { SYSTEM_ACTOR } from '../domain/actor.ts';
import { isKinkyuError } from '../domain/errors.ts';
import { errorMessage } from '../web/errors.ts';
import { DRILL_USAGE } from '../drills/usage.ts';

const USAGE = `kinkyu — emergency support system for a crypto exchange

Usage:
  kinkyu start [--demo]                 migrate, (seed demo data), serve on HOST:PORT
  kinkyu migrate                        apply database migrations
  kinkyu seed-demo                      add the demo exchange (only into an empty database)
  kinkyu staff create --email E --name N --role R [--password-stdin]
                                        roles: admin, incident_commander, agent, security, viewer
  kinkyu components apply --file F       add/update the exchange's components from a JSON file
  kinkyu components export              print the current components in that format
  kinkyu audit verify [--checkpoint FILE] [--old-key-file FILE]...
                                        check the audit log's keyed hash chain (and that it still holds the
                                        checkpoint's head): exit 0 intact, 1 broken or tampered, 2 key/usage problem
  kinkyu audit checkpoint [--out FILE]  print (or write) a signed checkpoint of the chain's head: keep it elsewhere
  kinkyu audit new-key --out FILE       write a new random audit key (mode 0600; never overwrites)
  kinkyu audit rotate-key (--old-key-file FILE | --old-key-lost)
                                        continue the log with the key now in AUDIT_KEY / AUDIT_KEY_FILE
  kinkyu export-status --out DIR        write the status page, API v2 JSON and feeds as static files
  kinkyu triage retrain [--file F]      retrain the triage model from the corpus (default eval/triage/corpus.jsonl)
                                        and every staff correction; shows the test-split figures before and
                                        after, and replaces the model only if none is worse (exit 1 if refused)
${DRILL_USAGE}

Configuration is read from the environment: see README.md.`;

async function openMigrated(config: Config): Promise<Db> {
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(db);
  return db;
}

/** Runs `fn` on the migrated database and closes it whatever happens (an embedded one is locked while open). */
async function withMigrated<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openMigrated(config);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** The first start has no staff: make an admin and show its password once, on this terminal only. */
/**
 * What a person starting the server reads (the first admin's password, where things are): on stderr, the
 * terminal, so stdout carries the JSON log lines only and a log shipper never receives a password.
 */
function banner(text: string): void {
  process.stderr.write(text);
}

async function ensureFirstAdmin(db: Db): Promise<void> {
  if ((await countStaff(db)) > 0) return;
  const password = process.env.KINKYU_ADMIN_PASSWORD || generatePassword();
  const email = process.env.KINKYU_ADMIN_EMAIL || 'admin@example.com';
  try {
    await createStaff(db, SYSTEM_ACTOR, { email, name: 'Administrator', role: 'admin', password });
  } catch (err) {
    // Another process starting at the same moment created it first; its password is on its terminal.
    if (isKinkyuError(err) && err.code === 'CONFLICT') return;
    throw err;
  }
  banner(
    `\n  First administrator created (shown only this once):\n    email:    ${email}\n    password: ${process.env.KINKYU_ADMIN_PASSWORD ? '(from KINKYU_ADMIN_PASSWORD)' : password}\n  Sign in at /staff/login (you register an authenticator app first) and create personal accounts with \`kinkyu staff create\`.\n\n`,
  );
}

/**
 * The configuration `kinkyu start [--demo]` serves with. The demo without SMTP_URL delivers its mail into the built-in
 * mailbox (src/demo-mailbox/); with SMTP_URL, or without --demo, there is no mailbox and mail is sent (or waits).
 */
export function startConfig(demo: boolean): Config {
  const config = loadConfig();
  return { ...config, demoMailbox: demo && !config.smtpUrl };
}

async function start(demo: boolean): Promise<void> {
  const config = startConfig(demo);
  const db = await openMigrated(config);
  const auditKey = await useAuditKey(config, db);
  banner(auditKey.generated
    ? `\n  Audit key generated: ${auditKey.source} (key id ${auditKey.key.id}).\n  Back it up now, apart from the database backups: without it the audit log cannot be verified.\n\n`
    : `  Audit key: ${auditKey.source} (key id ${auditKey.key.id})\n`);
  if (demo && (await seedDemoData(db))) banner('  Demo exchange data loaded.\n');
  await ensureFirstAdmin(db);
  // Loaded only to serve: the other commands (audit verify, migrate…) start without the whole application.
  const buildApp: typeof BuildApp = (await import('../server.ts')).buildApp;
  const { app, site, desk, close, beginDrain, referenceStore, metricsAddress } = await buildApp({ config, db, logger: true, auditKey });
  if (demo && referenceStore && (await seedDemoUser(db, referenceStore))) {
    banner(`  Demo exchange user created: ${DEMO_USER_EMAIL} / ${DEMO_USER_PASSWORD} (security center at /account)\n`);
  }
  await site.start();
  if (demo && (await seedDemoTickets(db, desk))) banner('  Demo support tickets loaded.\n');
  if (demo && (await seedDemoNotices(db, new Date(), config.timeZone))) banner('  Demo notice and terms (version 2 needs agreement at sign-in) loaded.\n');
  await app.listen({ host: config.host, port: config.port });
  const metricsAt = metricsAddress();
  banner(`  kinkyu is up: status page ${config.publicUrl}/  ·  staff console ${config.publicUrl}/staff${metricsAt ? `  ·  metrics ${metricsAt}` : ''}\n`);
  if (config.demoMailbox) {
    banner(`  Demo mailbox (no SMTP_URL, so no mail leaves this machine): every mail at ${config.publicUrl}/staff/mailbox (admin, security),\n` +
      `  the demo user's own at ${config.publicUrl}/account/mailbox. Set SMTP_URL to send real mail instead.\n`);
  }
  const shutdown = async () => {
    // Tell the load balancer first (/readyz 503, answers close their connections), then stop accepting and
    // finish what is in flight, then the workers, then the database.
    beginDrain();
    if (config.shutdownGraceMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownGraceMs));
    await close().catch((err: unknown) => app.log.error({ err }, 'shutdown: closing failed'));
    await db.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

async function main(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      demo: { type: 'boolean', default: false },
      out: { type: 'string' },
      file: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      checkpoint: { type: 'string' },
      'old-key-file': { type: 'string', multiple: true },
      'old-key-lost': { type: 'boolean', default: false },
      scenario: { type: 'string' },
      surge: { type: 'string' },
      takeovers: { type: 'string' },
      'no-monitors': { type: 'boolean', default: false },
      interactive: { type: 'boolean', default: false },
      id: { type: 'string' },
      lang: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub] = positionals;
  if (values.help || !command) {
    io.out(USAGE + '\n');
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  switch (command) {
    case 'start':
      await start(values.demo ?? false);
      return -1; // keep running
    case 'migrate': {
      const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const applied = await migrate(db);
        io.out(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
        return 0;
      } finally {
        await db.close();
      }
    }
    case 'seed-demo':
      return withMigrated(config, async (db) => {
        await useAuditKey(config, db);
        const seeded = await seedDemoData(db);
        io.out(seeded ? 'demo data loaded\n' : 'database already has components; nothing done\n');
        return 0;
      });
    case 'staff': {
      if (sub !== 'create') break;
      const password = values['password-stdin'] ? await readStdin() : generatePassword();
      return withMigrated(config, async (db) => {
        await useAuditKey(config, db);
        await createStaff(db, SYSTEM_ACTOR, { email: values.email, name: values.name, role: values.role, password });
        io.out(values['password-stdin'] ? 'staff member created\n' : `staff member created; password (shown once): ${password}\n`);
        return 0;
      });
    }
    case 'components': {
      if (sub === 'export') {
        return withMigrated(config, async (db) => {
          io.out(JSON.stringify(await exportComponentConfig(db), null, 2) + '\n');
          return 0;
        });
      }
      if (sub !== 'apply' || !values.file) break;
      const entries = parseComponentConfig(JSON.parse(await readFile(values.file, 'utf8')));
      const result = await withMigrated(config, async (db) => {
        await useAuditKey(config, db);
        return db.transaction((tx) => applyComponentConfig(tx, SYSTEM_ACTOR, entries, new Date()));
      });
      io.out(`components: ${result.added.length} added, ${result.updated.length} updated, ${entries.length - result.added.length - result.updated.length} unchanged\n`);
      if (result.notInFile.length) io.out(`kept (not in the file, never deleted): ${result.notInFile.join(', ')}\n`);
      return 0;
    }
    case 'audit': {
      if (sub === 'new-key') {
        if (!values.out) break;
        return auditNewKey(values.out, io);
      }
      if (sub !== 'verify' && sub !== 'checkpoint' && sub !== 'rotate-key') break;
      const db = await openMigrated(config);
      try {
        if (sub === 'verify') return await auditVerify(db, config, { checkpointFile: values.checkpoint, oldKeyFiles: values['old-key-file'] ?? [] }, io);
        if (sub === 'checkpoint') return await auditCheckpoint(db, config, { out: values.out }, io);
        return await auditRotateKey(db, config, { oldKeyFile: values['old-key-file']?.[0], oldKeyLost: values['old-key-lost'] ?? false }, io);
      } finally {
        await db.close();
      }
    }
    case 'triage': {
      if (sub !== 'retrain') break;
      const corpus = values.file ? readCorpus(values.file) : readCorpus();
      const db = await openMigrated(config);
      try {
        await useAuditKey(config, db);
        const result = await retrain(db, SYSTEM_ACTOR, corpus);
        io.out(formatRetrain(result) + '\n');
        return result.outcome === 'refused' ? 1 : 0;
      } finally {
        await db.close();
      }
    }
    case 'drill': {
      const { drillCommand } = await import('../drills/cli.ts');
      return drillCommand(config, sub, values, { openMigrated, useAuditKey, out: io.out, err: io.err });
    }
    case 'export-status': {
      if (!values.out) break;
      const out = values.out;
      const files = await withMigrated(config, async (db) => {
        const site = new PublicSite(db, siteOptionsFromConfig(config));
        await site.refresh();
        // The signed audit head goes along when there is a key (docs/operations.md); without one, the page alone.
        const audit = await optionalCheckpointSource(config, db);
        return exportStatic(site, out, audit ? { auditCheckpoint: audit } : {});
      });
      io.out(`wrote ${files.length} files to ${values.out}\n`);
      return 0;
    }
  }
  io.err(USAGE + '\n');
  return 2;
}

/** Where a command writes: the terminal, or a test's buffers. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const TERMINAL: CliIo = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/**
 * Runs one command; resolves to its exit code (-1: `start`, which keeps running). Refusals are explained, never
 * a stack trace: a key or checkpoint problem is exit 2, anything else that fails exit 1.
 */
export async function runCli(argv: string[], io: CliIo = TERMINAL): Promise<number> {
  try {
    return await main(argv, io);
  } catch (err) {
    if (isAuditKeyError(err)) {
      io.err(`error: ${err.localized('en')}\n       ${err.localized('ja')}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof CheckpointFormatError) {
      io.err(`error: ${err.message}\n       ${err.messageJa}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof DataDirInUseError) {
      io.err(
        `error: ${err.message}\n` +
          `エラー: ${err.dataDir} の組み込みデータベースは別の kinkyu プロセス (pid ${err.pid}) が使用中です。` +
          'PGlite は一度に一つのプロセスしか使えません。先にそのプロセスを停止するか (変更は失われません)、' +
          'PostgreSQL (DATABASE_URL) で動かしてください。スタッフは起動中のコンソール (/staff/team) からも作成できます。\n',
      );
      return EXIT_USAGE;
    }
    if (isKinkyuError(err)) io.err(`error: ${errorMessage('en', err)} / ${errorMessage('ja', err)}\n`);
    else io.err(`error: ${(err as Error)?.stack ?? err}\n`);
    return 1;
  }
}
