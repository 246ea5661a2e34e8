// Package kql is the KQL backend of tokenhunt (Microsoft Sentinel, Azure
// Data Explorer): it prints a compiled rule as
//
//	<Table> | where <condition>
//
// with its own printer, since KQL is not SQL. The semantics are those of
// ../../shared/DESIGN.md and package ir; where KQL differs, the printer
// spells the difference out. Parentheses come from operator precedence in
// one place (operand).
//
// # Shapes
//
//   - Case-insensitive matching lowers both sides: tolower(x) == "abc", the
//     literal lowered by Go's strings.ToLower, then the exact operators
//     (==, startswith_cs, endswith_cs, contains_cs). KQL's own
//     case-insensitive operators (=~, startswith, contains, has) fold ASCII
//     letters only, so they are never used.
//   - Other wildcard patterns: tolower(x) matches regex "(?s)^a.*b.$", an
//     anchored RE2 pattern with the literal text quoted.
//   - |re: x matches regex "(?ims)…", the flags inline (all three are RE2).
//   - KQL strings cannot be null: an absent string reads as "". A null test
//     on a string column is isempty(x), a lone * is isnotempty(x), and an
//     empty string counts as absent wherever a test must tell them apart
//     (field references, a regex that matches ""). Values inside dynamic
//     columns and JSON text can be null: isnull(x), isnotnull(x).
//   - Two-valued logic: under not(), a leaf that may be null in KQL (an
//     ordering on a null number, a failed conversion) is wrapped as
//     coalesce(leaf, false).
//   - Numbers: n > 5 on a number column; on text, a decimal-notation check
//     (the DuckDB backend's) then toreal(x) > 5.
//   - |cidr: a shape check, leading zeros of IPv4 octets removed
//     (replace_regex), then ipv4_is_in_any_range / ipv6_is_in_any_range.
//   - Time parts: datetime_part("minute" | "hour" | "day" | "week_of_year" |
//     "month" | "year", t), t converted with todatetime() unless it is a
//     datetime column.
//   - Struct paths: tostring(userIdentity.sessionContext.sessionIssuer.arn);
//     JSON text: tostring(parse_json(requestParameters).roleArn), which also
//     reads a dynamic column as it is. Names that are not plain identifiers,
//     or are keywords, are bracketed: ['a b'], x["c.d"]. A segment that
//     ir.ArrayIndex reads as an index is an element of a dynamic array,
//     x.serviceAccountDelegationInfo[0] (dynamic-object accessors: arr[n]
//     counts from 0). Unlike the SQL backends, it does not also read an
//     object's key of that name: KQL has no subscript that means both.
//
// # What the semantics rest on
//
// No Kusto engine runs in the tests. Validity is checked with Microsoft's
// Kusto.Language (tools/kusto); meaning rests on these pages of the KQL
// reference (learn.microsoft.com/kusto/query/…), and on a model of them
// (model_test.go) that runs the golden events through the printed KQL:
//
//   - string operators and =~: case-insensitive operators handle ASCII only
//     ("Case-insensitive operators are currently supported only for
//     ASCII-text. For non-ASCII comparison, use the tolower() function", in
//     the older equals-operator page); tolower() is assumed to lower-case
//     as Go's strings.ToLower (Unicode simple mapping).
//   - scalar-data-types/string: escapes \\ \" \t \n in "…" literals, and
//     verbatim @"…" literals where only "" escapes; \r is decoded by
//     Kusto.Language's lexer (TestKustoLiterals reads every literal back).
//   - datatypes-string-operators: startswith_cs, endswith_cs, contains_cs
//     and == compare exactly; matches regex holds when the left side
//     contains a match (unanchored). re2: the syntax is RE2's, with the i, m
//     and s flags.
//   - scalar-data-types/null-values and logical-operators: string is never
//     null; an ordering with null is null; `where` drops null. not(null) is
//     not documented: the model takes it as null, hence coalesce.
//   - tostring-function: null gives "". parse-json-function: a dynamic
//     argument is used as it is; text that is not JSON gives a dynamic
//     string (whose keys are then null).
//   - ipv4-is-in-any-range-function, ipv6-is-in-any-range-function: null
//     when the address does not parse (hence the shape check). How they read
//     zero-padded octets is not documented (hence the normalisation).
//   - replace-regex-function: \1 in the rewrite pattern.
//   - datetime-part-function, week-of-year-function: week_of_year is the
//     ISO 8601 week. scalar-data-types/datetime: datetimes are UTC, and
//     todatetime() reads ISO 8601 text; an offset (+02:00) is assumed to be
//     converted to UTC.
//   - coalesce-function: the first non-null argument.
//
// # Correlations
//
// CompileCorrelation prints a correlation as one query (let statements
// and a final tabular expression) with the semantics of the SQL backends
// (backends/sql/correlation.go) and of internal/refeval:
//
//   - _e, materialized: one row per (base rule, matching event), the base
//     rules' own `T | where` in a union. Time is _us, microseconds since the
//     epoch: datetime_diff("microsecond", t, datetime(1970-01-01)) counts
//     microsecond boundaries (the page's example gives 100 for .1009001 -
//     .1008009), so it truncates as DuckDB's epoch_us. Rows without a time
//     or an id are dropped. Group and term keys are "" for an absent value
//     and "=" and the text otherwise, so that a null group is not the empty
//     string's; the result shows substring(key, 1). _rn marks the first row
//     of an event id in its group by base (row_number with restart after
//     sort), as DuckDB's row_number() = 1.
//   - Sliding windows: KQL has no RANGE frame, so the window (t - span, t]
//     of each row is a self-join of _e on the group keys (join kind=inner:
//     every pair, unlike the default innerunique) filtered on
//     _us2 > _us - span and _us2 <= _us, in whole microseconds. Ties at t
//     are inside, as in RANGE ... CURRENT ROW.
//   - Aggregates, exact: count_distinct() and count_distinctif() (exact,
//     nulls ignored; a runtime error past 100M values, never an estimate;
//     dcount() is not used), sumif/countif for sums and averages of the
//     first row of each event id, and for percentiles the sorted list of
//     values (make_list_if, array_sort_asc) with linear interpolation
//     between the closest ranks, as quantile_cont (percentile() is an
//     estimate). floor(x) is spelt -ceiling(-x), since KQL's floor() is
//     bin().
//   - temporal_ordered: _s, the latest start of an in-order chain of bases
//     0..k ending at a row of base k, by one windowed self-join per base;
//     a chain that starts outside the last event's window cannot fire, and
//     every chain that can lies inside the windows of its events, so the
//     firing rows are DuckDB's (running maximum over unbounded frames).
//   - Merging: firing rows sorted by group and time (sort serializes);
//     prev() and row_number() start a new run when the group changes or
//     the gap reaches the timespan; row_cumsum numbers the runs. A finding
//     joins the group's events in (first firing - span, last firing] and
//     aggregates them; event_ids are make_list_if over rows sorted by time
//     and id (make_list keeps a sorted input's order), sliced to 100.
//   - new_terms: the distinct times of each group and terms, sorted; a
//     time is new when the previous one of its partition is before
//     t - lookback (or there is none).
//
// Gaps: a string column cannot hold null, so there an empty string and an
// absent value are one group, one value (not counted by value_count) and
// an id that drops the event. make_list_if keeps at most 1,048,576
// values, which bounds a percentile's window. Sums add in an order KQL
// does not define.
package kql
