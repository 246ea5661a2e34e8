package ir

// Simplify flattens nested And and Or, removes single-argument And and Or,
// double negation and constants. Under two-valued logic the result means
// the same as the input.
func Simplify(e Expr) Expr {
	switch e := e.(type) {
	case And:
		var args []Expr
		for _, a := range e.Args {
			a = Simplify(a)
			switch a := a.(type) {
			case Const:
				if !a.Value {
					return Const{Value: false}
				}
				continue
			case And:
				args = append(args, a.Args...)
				continue
			}
			args = append(args, a)
		}
		switch len(args) {
		case 0:
			return Const{Value: true}
		case 1:
			return args[0]
		}
		return And{Args: args}
	case Or:
		var args []Expr
		for _, a := range e.Args {
			a = Simplify(a)
			switch a := a.(type) {
			case Const:
				if a.Value {
					return Const{Value: true}
				}
				continue
			case Or:
				args = append(args, a.Args...)
				continue
			}
			args = append(args, a)
		}
		switch len(args) {
		case 0:
			return Const{Value: false}
		case 1:
			return args[0]
		}
		return Or{Args: args}
	case Not:
		a := Simplify(e.Arg)
		switch a := a.(type) {
		case Not:
			return a.Arg
		case Const:
			return Const{Value: !a.Value}
		}
		return Not{Arg: a}
	}
	return e
}

// Walk calls fn for e and every node below it, depth first, stopping early
// when fn returns false for a node.
func Walk(e Expr, fn func(Expr) bool) {
	if !fn(e) {
		return
	}
	switch e := e.(type) {
	case And:
		for _, a := range e.Args {
			Walk(a, fn)
		}
	case Or:
		for _, a := range e.Args {
			Walk(a, fn)
		}
	case Not:
		Walk(e.Arg, fn)
	}
}

// Fields calls fn for every field a condition reads, in the order they
// appear (both fields of a FieldRef, the field first).
func Fields(e Expr, fn func(Field)) {
	Walk(e, func(e Expr) bool {
		switch e := e.(type) {
		case Match:
			fn(e.Field)
		case Regex:
			fn(e.Field)
		case Compare:
			fn(e.Field)
		case BoolEq:
			fn(e.Field)
		case IsNull:
			fn(e.Field)
		case CIDR:
			fn(e.Field)
		case FieldRef:
			fn(e.Field)
			fn(e.Other)
		case Time:
			fn(e.Field)
		}
		return true
	})
}

// Rewrite rebuilds e bottom-up, replacing each leaf by fn(leaf). fn may
// return an error, which stops the rewrite.
func Rewrite(e Expr, fn func(Expr) (Expr, error)) (Expr, error) {
	switch e := e.(type) {
	case And:
		args, err := rewriteAll(e.Args, fn)
		if err != nil {
			return nil, err
		}
		return And{Args: args}, nil
	case Or:
		args, err := rewriteAll(e.Args, fn)
		if err != nil {
			return nil, err
		}
		return Or{Args: args}, nil
	case Not:
		a, err := Rewrite(e.Arg, fn)
		if err != nil {
			return nil, err
		}
		return Not{Arg: a}, nil
	}
	return fn(e)
}

func rewriteAll(args []Expr, fn func(Expr) (Expr, error)) ([]Expr, error) {
	out := make([]Expr, len(args))
	for i, a := range args {
		r, err := Rewrite(a, fn)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}
