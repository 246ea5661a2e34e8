#!/usr/bin/env node
// check.js reads a JSON array of {"id": ..., "query": ...} on standard input
// and parses every query with the Trino grammar of dt-sql-parser. It prints
// a JSON array of {"id": ..., "errors": [{"line", "column", "message"}]}, one
// entry per query in input order (an empty errors list: the query parses).
//
// Exit status: 0 when every query was checked (whatever it found), 2 on bad
// input, 3 when the bundle is missing (run `make tools`).
'use strict';

const fs = require('fs');
const path = require('path');

const bundle = path.join(__dirname, 'dist', 'trino.cjs');
if (!fs.existsSync(bundle)) {
  process.stderr.write(`${bundle} is missing: run \`make tools\` (npm ci && npm run build in tools/trino)\n`);
  process.exit(3);
}
const { TrinoSQL } = require(bundle);

let input;
try {
  input = JSON.parse(fs.readFileSync(0, 'utf8'));
} catch (err) {
  process.stderr.write(`check.js: standard input is not JSON: ${err.message}\n`);
  process.exit(2);
}
if (!Array.isArray(input) || !input.every((c) => c && typeof c.query === 'string')) {
  process.stderr.write('check.js: want a JSON array of {"id": ..., "query": "..."}\n');
  process.exit(2);
}

const parser = new TrinoSQL();
const out = input.map((c) => ({
  id: c.id,
  errors: parser.validate(c.query).map((e) => ({
    line: e.startLine,
    column: e.startColumn,
    message: e.message,
  })),
}));
process.stdout.write(JSON.stringify(out) + '\n');
