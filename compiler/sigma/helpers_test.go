package sigma

import "github.com/tokenhunt/tokenhunt/compiler/ir"

func irPatternString(p ir.Pattern) string { return ir.PatternString(p) }
