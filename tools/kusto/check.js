#!/usr/bin/env node
// check.js parses and semantically analyses KQL queries with Microsoft's
// Kusto.Language (npm @kusto/language-service-next, pinned in package.json),
// against the table schemas each query declares. tokenhunt's tests run it to
// prove that every query the KQL backend prints is valid KQL: an unknown
// column, function or a syntax error is a diagnostic.
//
// Input (stdin): a JSON array of
//   {"id": "...", "query": "T | where ...", "tables": {"T": {"col": "string", ...}},
//    "literals": false}
// Output (stdout): a JSON array, in the same order, of
//   {"id": "...", "errors": [{"code", "message", "start", "length"}], "literals": [...]}
// errors holds the error diagnostics only (parse and semantic); literals, when
// the input asked for it, holds the value of every string literal in the
// query, decoded by Kusto.Language's own lexer (to test string escaping).
"use strict";

const fs = require("fs");
const path = require("path");

const pkg = path.join(__dirname, "node_modules", "@kusto", "language-service-next");
if (!fs.existsSync(path.join(pkg, "Kusto.Language.Bridge.min.js"))) {
  process.stderr.write("check.js: @kusto/language-service-next is not installed: run `npm ci` in " + __dirname + " (make tools)\n");
  process.exit(2);
}
require(path.join(pkg, "bridge.min.js"));
require(path.join(pkg, "Kusto.Language.Bridge.min.js"));

/* global Kusto */
const K = Kusto.Language;
const S = K.Symbols;

// schemaText spells a table schema as Kusto.Language reads it:
// (col:type, ['odd name']:type).
function schemaText(columns) {
  const parts = Object.keys(columns).map((name) => K.KustoFacts.BracketNameIfNecessary(name) + ":" + columns[name]);
  return "(" + parts.join(", ") + ")";
}

function globalsFor(tables) {
  const syms = Object.keys(tables || {}).map((name) => new S.TableSymbol.$ctor7(name, schemaText(tables[name]), null));
  const db = new S.DatabaseSymbol.ctor("tokenhunt", syms);
  return K.GlobalState.Default.WithDatabase(db);
}

// items lists a .NET read-only list as Bridge.NET exposes it: a plain array
// or a List with Count and getItem.
function items(list) {
  if (Array.isArray(list)) {
    return list;
  }
  const out = [];
  for (let i = 0; i < list.Count; i++) {
    out.push(list.getItem(i));
  }
  return out;
}

function check(item) {
  const out = { id: item.id, errors: [] };
  const code = K.KustoCode.ParseAndAnalyze(item.query, globalsFor(item.tables));
  for (const d of items(code.GetDiagnostics())) {
    if (d.Severity !== "Error") {
      continue;
    }
    out.errors.push({ code: d.Code, message: d.Message, start: d.Start, length: d.Length });
  }
  if (item.literals) {
    out.literals = [];
    for (const t of items(code.GetLexicalTokens())) {
      if (t.Kind === K.Syntax.SyntaxKind.StringLiteralToken) {
        out.literals.push(K.KustoFacts.GetStringLiteralValue(t.Text));
      }
    }
  }
  return out;
}

const input = JSON.parse(fs.readFileSync(0, "utf8"));
if (!Array.isArray(input)) {
  process.stderr.write("check.js: the input must be a JSON array of {id, query, tables}\n");
  process.exit(2);
}
process.stdout.write(JSON.stringify(input.map(check)) + "\n");
