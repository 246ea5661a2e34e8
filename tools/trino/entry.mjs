// The bundle's entry: only the Trino parser of dt-sql-parser, whose ESM
// build node 20 cannot load as it is published (see package.json "build").
export { TrinoSQL } from 'dt-sql-parser';
