package ir_test

import (
	"fmt"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

func ExampleFormat() {
	ts := ir.Field{Name: "eventTime", Column: &ir.Column{Path: []string{"eventTime"}, Type: ir.Timestamp}}
	where := ir.And{Args: []ir.Expr{
		ir.Match{Field: ir.Field{Name: "eventName", Column: &ir.Column{Path: []string{"eventName"}}}, Pattern: ir.Literal("AssumeRole")},
		ir.Match{
			Field:   ir.Field{Name: "requestParameters.roleArn", Column: &ir.Column{Path: []string{"requestParameters"}, JSON: []string{"roleArn"}}},
			Pattern: ir.Pattern{{Kind: ir.Star}, {Kind: ir.Lit, Text: ":role/admin"}},
		},
		ir.Not{Arg: ir.Time{Field: ts, Part: ir.Hour, Op: ir.Lt, Value: 6}},
		ir.IsNull{Field: ir.Field{Name: "errorCode"}}, // not resolved by a pipeline yet
	}}
	fmt.Println(ir.Flat(where))
	fmt.Println(ir.Format(where, 60))
	// Output:
	// (and (eq ci eventName "AssumeRole") (suffix ci requestParameters.roleArn=requestParameters$roleArn ":role/admin") (not (time hour lt eventTime:timestamp 6)) (null errorCode=?))
	// (and
	//   (eq ci eventName "AssumeRole")
	//   (suffix ci requestParameters.roleArn=requestParameters$roleArn ":role/admin")
	//   (not (time hour lt eventTime:timestamp 6))
	//   (null errorCode=?))
}

func ExampleParse() {
	e, err := ir.Parse(`(or
  (cidr sourceIPAddress "10.0.0.0/8" "fc00::/7")
  (glob cs userAgent ["aws-cli/" * "exec-env/" ?]))`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, arg := range e.(ir.Or).Args {
		fmt.Printf("%T %s\n", arg, ir.Flat(arg))
	}

	_, err = ir.Parse(`(eq ci eventName AssumeRole)`)
	fmt.Println(err)
	// Output:
	// ir.CIDR (cidr sourceIPAddress "10.0.0.0/8" "fc00::/7")
	// ir.Match (glob cs userAgent ["aws-cli/" * "exec-env/" ?])
	// <input>:1:18: expected a quoted string, found "AssumeRole"
}
