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
//	    dynamic_columns: [DeviceDetail] # the engine's JSON type (KQL dynamic)
//	    field_name_mapping:            # renames: Sigma field -> source field
//	      src_ip: sourceIPAddress
//	    field_name_prefix_mapping:     # renames of a name's beginning
//	      "properties.": ""
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
// column and json exclude each other. In a key path, a segment of decimal
// digits reads that element of an array, as in a JSON Pointer
// (authenticationInfo.serviceAccountDelegationInfo.0.firstPartyPrincipal);
// so does one of a column path after the column name, for REPEATED and
// LIST columns. unsupported: REASON, alone, declares a field the target
// cannot read: a rule naming it is an error with that reason, never a query
// that silently reads nothing.
//
// # Resolution
//
// Every look-up is case-insensitive: field names, renames, fields entries,
// log source values, placeholder names. A field of a rule is resolved in this
// order:
//
//  1. field_name_mapping renames it (one step; the target is then looked up);
//     a name that no field_name_mapping renames has its longest
//     field_name_prefix_mapping prefix (plain text, any case) replaced
//     instead, unless that would leave it empty.
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
// Whatever the path, when its first segment is one of json_columns or
// dynamic_columns, the rest of it becomes a key path inside that JSON value,
// so requestParameters.userName reads the key userName of the JSON column
// requestParameters. Dynamic columns hold the engine's own JSON type rather
// than text (Sentinel's DeviceDetail); Source lists them apart, for engines
// and schema checks that must tell the two kinds apart.
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
//
// # pySigma pipelines
//
// A file with a transformations key is read as a pySigma processing
// pipeline (name, priority, vars, transformations). Each transformation
// becomes a logsources entry, selected by its rule_conditions of type
// logsource (all of them, or any with rule_cond_op: or):
//
//	field_name_mapping         -> field_name_mapping (one target a field)
//	field_name_prefix_mapping  -> field_name_prefix_mapping
//	set_state, key table or query_table -> table
//
// pySigma applies transformations one after another; where a later mapping
// renames what an earlier one produced, and the earlier one applies to
// every log source, the two are composed into direct renames. Anything else
// (other transformation types, detection-item or field-name conditions,
// postprocessing, a chain under other rule conditions, one field mapped
// twice for the same log sources) is an error at its position.
//
// # Shipped pipelines
//
// builtin/ holds one file per target schema, each citing the vendor page its
// columns come from: cloudtrail (raw CloudTrail in DuckDB), cloudtrail-athena,
// securitylake-ocsf, sentinel-awscloudtrail; sentinel-entra, entra-duckdb,
// entra-athena, entra-bigquery (the Sentinel columns everywhere);
// gcp-bigquery (+ gcp-bigquery-data-access), sentinel-gcp, gcp-duckdb,
// gcp-athena; cicd-duckdb, cicd-athena, cicd-bigquery, sentinel-cicd; and
// proxy-duckdb, proxy-athena, proxy-bigquery, sentinel-proxy.

package pipeline
