// The payload tool of the cross-language decode matrix, in TypeScript:
//   node dist/payload_tool.js encode|decode FILE|-
// Reads a serialized temporal.api.common.v1.Payloads from FILE (or stdin for "-") and writes
// the encoded or decoded Payloads to stdout, with the codec from the environment (env.ts).
// Exit status: 0 on success, 2 for usage errors, 3 for codec errors, with one stderr line
// such as "UnknownKeyError: TPC_ERR_UNKNOWN_KEY (6): payload 0: ...".
import { readFileSync } from 'node:fs';
import { TpcError } from 'temporal-payload-codec';
import { codecFromEnv, UsageError } from './env';

const USAGE = 'usage: payload_tool encode|decode FILE|-';

function main(argv: string[]): number {
  const [mode, path] = argv;
  if (argv.length !== 2 || (mode !== 'encode' && mode !== 'decode')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let input: Buffer;
  try {
    input = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    process.stderr.write(`cannot read ${path}: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    const codec = codecFromEnv();
    try {
      const out = mode === 'encode' ? codec.encodeBytes(input) : codec.decodeBytes(input);
      process.stdout.write(out);
    } finally {
      codec.close();
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof TpcError) {
      process.stderr.write(`${e.name}: ${e.statusName} (${e.status}): ${e.message}\n`);
      return 3;
    }
    throw e;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
