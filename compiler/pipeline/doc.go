// Package pipeline reads processing pipelines and applies them to compiled
// rules: it decides which table a rule reads, where each field lives (a
// column, a struct path, a key inside a JSON text column), the type of each
// column, which columns a field-less keyword search covers, and the values of
// the |expand placeholders.
//
// # Format
//
// A pipeline is a YAML file, close to pySigma's field_name_mapping:
//
//	name: aws-cloudtrail-duckdb        # required; -p NAME picks a shipped one
//	description: CloudTrail as DuckDB reads it
//	priority: 10                       # optional, default 0
//	vars:                              # placeholders for |expand
//	  admin_roles: [OrganizationAccountAccessRole, Admin]
//	logsources:
//	  - product: aws                   # product, category, service: omitted = any
//	    service: cloudtrail
//	    table: cloudtrail
//	    keywords: [eventName, eventSource, userAgent, errorMessage]
//	    json_columns: [requestParameters, responseElements]
//	    field_name_mapping:            # renames: Sigma field -> source field
//	      src_ip: sourceIPAddress
//	    fields:                        # where a field lives and its type
//	      eventTime: {type: timestamp}
//	      readOnly: {type: bool}
//	      requestParameters.*: {json: requestParameters}
//	      userIdentity.*: {}
//	      someName: {column: other.path, type: number}
//	      raw_name: {json: raw, key: detail.name}
//
// Keys of a fields entry: column (struct path of the column: dotted text or
// a YAML list of segments, for names that hold a dot), json (the column that
// holds JSON text; same spelling rules), key (with json: the key path inside
// that text) and type (string, number, bool or timestamp; default string).
// column and json exclude each other.
//
// # Resolution
//
// Every look-up is case-insensitive: field names, renames, fields entries,
// log source values, placeholder names. A field of a rule is resolved in this
// order:
//
//  1. field_name_mapping renames it (one step; the target is then looked up).
//  2. An exact fields entry: the column is `column`, else the entry's own name
//     as the pipeline spells it (dotted = struct path); with `json`, the value
//     is the key path `key` (default: the entry's name) inside that column.
//  3. The longest `prefix.*` entry (a lone `*` matches every name, last): the
//     rest of the name after the prefix is appended to the struct path
//     `column` (default: the prefix), or with `json`, to the key path `key`
//     inside that column.
//  4. The default: the column of the same name, a dotted name being a struct
//     path, type string.
//
// Whatever the path, when its first segment is one of json_columns, the rest
// of it becomes a key path inside that JSON text, so requestParameters.userName
// reads the key userName of the JSON column requestParameters.
//
// Pipelines apply in ascending priority, then in the order given. Of all the
// logsources entries that match a rule's log source, in that order, a later
// one overrides an earlier one: table, keywords and json_columns when it sets
// them, renames and fields per key. A rule that no entry gives a table reads
// the default table: product, category and service, those not empty, joined
// by "_" (aws_cloudtrail, windows_process_creation).
//
// A keyword (field-less) search becomes an OR of substring matches over the
// keyword columns; a log source without keyword columns is an error at the
// keyword's position.
package pipeline
