// Finding the library: the package's native/<platform>-<arch>/ copy, TPC_LIBRARY_PATH, the
// ABI check, and clear errors when the library is missing or of another ABI. Each case runs
// in a fresh node process (the library is loaded once per process).

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { PACKAGE } from './helpers';

const PROBE = `
const t = require(process.argv[1]);
const c = new t.Codec();
console.log(JSON.stringify({ path: t.libraryPath(), version: t.version(), abi: t.abiVersion(), empty: c.encodeBytes(new Uint8Array()).length }));
`;

function probe(
  library: string | undefined,
  packageDir = PACKAGE,
): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env['TPC_LIBRARY_PATH'];
  if (library !== undefined) env['TPC_LIBRARY_PATH'] = library;
  return spawnSync(process.execPath, ['-e', PROBE, packageDir], { env, encoding: 'utf8' });
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tpc-node-loading-'));
}

function fakeLibrary(dir: string, abi: number): string {
  const source = path.join(dir, 'fake.c');
  fs.writeFileSync(source, `unsigned tpc_abi_version(void) { return ${abi}; }\n`);
  const out = path.join(dir, `libfake-abi${abi}.so`);
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-o', out, source], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `cc is needed to build the fake library: ${cc.error ?? cc.stderr}`);
  return out;
}

const here = `${process.platform}-${process.arch}`;

test('the package loads its own native/<platform>-<arch> library with no environment', () => {
  const run = probe(undefined);
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { path: string; version: string; abi: number; empty: number };
  assert.equal(out.path, path.join(PACKAGE, 'native', here, 'libtemporal_payload_codec.so.2'));
  assert.equal(out.abi, 2);
  assert.equal(out.empty, 0);
  const cargo = fs.readFileSync(path.join(PACKAGE, '..', '..', 'Cargo.toml'), 'utf8');
  assert.equal(out.version, /^version = "(.*)"/m.exec(cargo)?.[1]);
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE, 'package.json'), 'utf8')) as { version: string };
  assert.equal(pkg.version, out.version, 'the npm package version is the library version');
});

test('TPC_LIBRARY_PATH names the library file to load', () => {
  const release = path.join(PACKAGE, '..', '..', 'target', 'release', 'libtemporal_payload_codec.so');
  const run = probe(release);
  assert.equal(run.status, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { path: string }).path, release);
});

for (const abi of [1, 3]) {
  test(`a library of ABI version ${abi} is refused, naming both versions and the file`, () => {
    const dir = tempDir();
    try {
      const fake = fakeLibrary(dir, abi);
      const run = probe(fake);
      assert.notEqual(run.status, 0);
      assert.match(
        run.stderr,
        new RegExp(`${fake.replace(/[.]/g, '\\.')} implements ABI version ${abi}, this binding needs ABI version 2`),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a missing TPC_LIBRARY_PATH file is a clear error', () => {
  const run = probe('/nonexistent/libtemporal_payload_codec.so');
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /TPC_LIBRARY_PATH names \/nonexistent\/libtemporal_payload_codec\.so, which does not exist/);
});

test('a package without a library for this platform says which platforms it has', () => {
  // The package as it would be installed, minus native/: its dist/ and package.json, its
  // dependencies through a link.
  const dir = tempDir();
  try {
    const copy = path.join(dir, 'temporal-payload-codec');
    fs.mkdirSync(copy);
    fs.cpSync(path.join(PACKAGE, 'dist'), path.join(copy, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(PACKAGE, 'package.json'), path.join(copy, 'package.json'));
    fs.symlinkSync(path.join(PACKAGE, 'node_modules'), path.join(copy, 'node_modules'));
    const run = probe(undefined, copy);
    assert.notEqual(run.status, 0);
    const tried = path.join(copy, 'native', here, 'libtemporal_payload_codec.so.2');
    assert.ok(run.stderr.includes(`this package has no library for ${here} (looked for ${tried})`), run.stderr);
    assert.ok(run.stderr.includes('linux-x64 and linux-arm64'), run.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
