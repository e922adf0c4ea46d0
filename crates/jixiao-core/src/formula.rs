//! Formulas over data elements and constants.
//!
//! `evalexpr` parses the text; its operator tree is then compiled into [`Expr`], a small typed
//! tree evaluated in exact decimals. Only known names may be read, nothing may be assigned,
//! strings and chains are refused, and evaluation is bounded (no loops; size and depth limits).
//! evalexpr's errors carry no position, so a light scan of the text ([`lex`]) finds where a
//! problem is: unmatched brackets, missing operands, unknown names.

use crate::text::Text;
use evalexpr::{DefaultNumericTypes, Node, Operator, Value};
use rust_decimal::Decimal;
use std::fmt::Write as _;
use std::str::FromStr;

/// Longest formula accepted, in characters.
pub const MAX_LEN: usize = 2000;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// Which period a variable is read for, relative to the period being scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shift {
    Current,
    /// `prev(x)`: the previous period of the same length (环比).
    Previous,
    /// `yoy(x)`: the same period a year earlier (同比).
    YearEarlier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Num,
    Bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    And,
    Or,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "×",
            BinOp::Div => "÷",
            BinOp::Eq => "=",
            BinOp::Ne => "≠",
            BinOp::Gt => ">",
            BinOp::Ge => "≥",
            BinOp::Lt => "<",
            BinOp::Le => "≤",
            BinOp::And => "且",
            BinOp::Or => "或",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div => 5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
    Floor,
    Ceil,
    If,
}

/// A compiled formula. `V` is what a variable resolves to (an index chosen by the caller).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr<V> {
    Num(Decimal),
    Bool(bool),
    Var(V),
    Neg(Box<Expr<V>>),
    Not(Box<Expr<V>>),
    Bin(BinOp, Box<Expr<V>>, Box<Expr<V>>),
    Call(Func, Vec<Expr<V>>),
}

/// Why a formula could not be evaluated for a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError<V> {
    /// A variable it needs has no value.
    Missing(V),
    DivisionByZero,
    Overflow,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalValue {
    Num(Decimal),
    Bool(bool),
}

impl<V: Copy> Expr<V> {
    /// Evaluates with `lookup` giving each variable's value (`None` = missing).
    pub fn eval(&self, lookup: &impl Fn(V) -> Option<Decimal>) -> Result<EvalValue, EvalError<V>> {
        use EvalValue as E;
        Ok(match self {
            Expr::Num(d) => E::Num(*d),
            Expr::Bool(b) => E::Bool(*b),
            Expr::Var(v) => E::Num(lookup(*v).ok_or(EvalError::Missing(*v))?),
            Expr::Neg(e) => E::Num(-e.num(lookup)?),
            Expr::Not(e) => E::Bool(!e.bool(lookup)?),
            Expr::Bin(op, l, r) => match op {
                BinOp::And => E::Bool(l.bool(lookup)? && r.bool(lookup)?),
                BinOp::Or => E::Bool(l.bool(lookup)? || r.bool(lookup)?),
                BinOp::Add => E::Num(
                    l.num(lookup)?
                        .checked_add(r.num(lookup)?)
                        .ok_or(EvalError::Overflow)?,
                ),
                BinOp::Sub => E::Num(
                    l.num(lookup)?
                        .checked_sub(r.num(lookup)?)
                        .ok_or(EvalError::Overflow)?,
                ),
                BinOp::Mul => E::Num(
                    l.num(lookup)?
                        .checked_mul(r.num(lookup)?)
                        .ok_or(EvalError::Overflow)?,
                ),
                BinOp::Div => {
                    let (a, b) = (l.num(lookup)?, r.num(lookup)?);
                    if b.is_zero() {
                        return Err(EvalError::DivisionByZero);
                    }
                    E::Num(a.checked_div(b).ok_or(EvalError::Overflow)?)
                }
                BinOp::Eq => E::Bool(l.num(lookup)? == r.num(lookup)?),
                BinOp::Ne => E::Bool(l.num(lookup)? != r.num(lookup)?),
                BinOp::Gt => E::Bool(l.num(lookup)? > r.num(lookup)?),
                BinOp::Ge => E::Bool(l.num(lookup)? >= r.num(lookup)?),
                BinOp::Lt => E::Bool(l.num(lookup)? < r.num(lookup)?),
                BinOp::Le => E::Bool(l.num(lookup)? <= r.num(lookup)?),
            },
            Expr::Call(f, args) => match f {
                Func::If => {
                    let [c, a, b] = args.as_slice() else {
                        return Err(EvalError::Overflow);
                    };
                    if c.bool(lookup)? {
                        a.eval(lookup)?
                    } else {
                        b.eval(lookup)?
                    }
                }
                Func::Min | Func::Max => {
                    let mut best: Option<Decimal> = None;
                    for a in args {
                        let v = a.num(lookup)?;
                        best = Some(match best {
                            None => v,
                            Some(b) if *f == Func::Min => b.min(v),
                            Some(b) => b.max(v),
                        });
                    }
                    E::Num(best.unwrap_or_default())
                }
                Func::Abs => E::Num(first(args)?.num(lookup)?.abs()),
                Func::Floor => E::Num(first(args)?.num(lookup)?.floor()),
                Func::Ceil => E::Num(first(args)?.num(lookup)?.ceil()),
            },
        })
    }

    pub fn num(&self, lookup: &impl Fn(V) -> Option<Decimal>) -> Result<Decimal, EvalError<V>> {
        match self.eval(lookup)? {
            EvalValue::Num(d) => Ok(d),
            EvalValue::Bool(b) => Ok(Decimal::from(u8::from(b))),
        }
    }

    pub fn bool(&self, lookup: &impl Fn(V) -> Option<Decimal>) -> Result<bool, EvalError<V>> {
        match self.eval(lookup)? {
            EvalValue::Bool(b) => Ok(b),
            EvalValue::Num(d) => Ok(!d.is_zero()),
        }
    }

    /// Every variable read, in order of appearance (with repeats).
    pub fn vars(&self, out: &mut Vec<V>) {
        match self {
            Expr::Num(_) | Expr::Bool(_) => {}
            Expr::Var(v) => out.push(*v),
            Expr::Neg(e) | Expr::Not(e) => e.vars(out),
            Expr::Bin(_, l, r) => {
                l.vars(out);
                r.vars(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.vars(out)),
        }
    }

    /// The formula with each variable replaced by `show(v)` (its value, or its name), written
    /// with × and ÷ as a clerk would on paper.
    pub fn render(&self, show: &impl Fn(V) -> String) -> String {
        let mut s = String::new();
        self.write(&mut s, show, 0);
        s
    }

    fn write(&self, s: &mut String, show: &impl Fn(V) -> String, outer: u8) {
        match self {
            Expr::Num(d) => {
                let _ = write!(s, "{}", d.normalize());
            }
            Expr::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
            Expr::Var(v) => s.push_str(&show(*v)),
            Expr::Neg(e) => {
                s.push('-');
                e.write(s, show, 6);
            }
            Expr::Not(e) => {
                s.push('!');
                e.write(s, show, 6);
            }
            Expr::Bin(op, l, r) => {
                let p = op.precedence();
                if p < outer {
                    s.push('(');
                }
                l.write(s, show, p);
                let _ = write!(s, " {} ", op.symbol());
                // Right operands of - and ÷ need brackets at equal precedence.
                r.write(s, show, p + 1);
                if p < outer {
                    s.push(')');
                }
            }
            Expr::Call(f, args) => {
                s.push_str(match f {
                    Func::Min => "min",
                    Func::Max => "max",
                    Func::Abs => "abs",
                    Func::Floor => "floor",
                    Func::Ceil => "ceil",
                    Func::If => "if",
                });
                s.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    a.write(s, show, 0);
                }
                s.push(')');
            }
        }
    }

    /// Replaces every variable by `f(v)`.
    pub fn map_vars<W>(&self, f: &mut impl FnMut(&V) -> W) -> Expr<W> {
        match self {
            Expr::Num(d) => Expr::Num(*d),
            Expr::Bool(b) => Expr::Bool(*b),
            Expr::Var(v) => Expr::Var(f(v)),
            Expr::Neg(e) => Expr::Neg(Box::new(e.map_vars(f))),
            Expr::Not(e) => Expr::Not(Box::new(e.map_vars(f))),
            Expr::Bin(op, l, r) => Expr::Bin(*op, Box::new(l.map_vars(f)), Box::new(r.map_vars(f))),
            Expr::Call(func, args) => {
                Expr::Call(*func, args.iter().map(|a| a.map_vars(f)).collect())
            }
        }
    }
}

fn first<V>(args: &[Expr<V>]) -> Result<&Expr<V>, EvalError<V>> {
    args.first().ok_or(EvalError::Overflow)
}

/// A problem with a formula's text, at a 1-based character position when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError {
    pub position: Option<usize>,
    pub message: Text,
}

impl FormulaError {
    fn at(position: Option<usize>, message: Text) -> FormulaError {
        FormulaError { position, message }
    }

    /// The message with the position and a caret line under the formula.
    pub fn describe(&self, formula: &str) -> Text {
        match self.position {
            Some(p) => Text::new(
                format!("公式“{formula}”第{p}个字符处：{}", self.message.zh),
                format!("formula `{formula}` at character {p}: {}", self.message.en),
            ),
            None => Text::new(
                format!("公式“{formula}”：{}", self.message.zh),
                format!("formula `{formula}`: {}", self.message.en),
            ),
        }
    }
}

/// What a name in a formula refers to, as decided by the caller.
pub enum Resolved<V> {
    Var(V),
    Const(Decimal),
}

/// The value of an arithmetic expression without variables (`None` when it reads any, calls a
/// function or cannot be computed).
fn constant<V>(e: &Expr<V>) -> Option<Decimal> {
    match e {
        Expr::Num(d) => Some(*d),
        Expr::Neg(x) => constant(x).map(|d| -d),
        Expr::Bin(op, l, r) => {
            let (l, r) = (constant(l)?, constant(r)?);
            match op {
                BinOp::Add => l.checked_add(r),
                BinOp::Sub => l.checked_sub(r),
                BinOp::Mul => l.checked_mul(r),
                BinOp::Div => l.checked_div(r),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Compiles `text` into an expression of type `want`; `resolve(name, shift)` says what a name
/// means, or `None` if it is unknown.
pub fn compile<V>(
    text: &str,
    want: Ty,
    resolve: &mut impl FnMut(&str, Shift) -> Option<Resolved<V>>,
) -> Result<Expr<V>, FormulaError> {
    let chars = text.chars().count();
    if text.trim().is_empty() {
        return Err(FormulaError::at(
            None,
            crate::t!("公式为空", "the formula is empty"),
        ));
    }
    if chars > MAX_LEN {
        return Err(FormulaError::at(
            Some(MAX_LEN),
            crate::t!(
                "公式过长（{chars}个字符，最多{MAX_LEN}）",
                "the formula is too long ({chars} characters, at most {MAX_LEN})"
            ),
        ));
    }
    let toks = lex(text);
    check_tokens(&toks)?;
    let tree = evalexpr::build_operator_tree::<DefaultNumericTypes>(text).map_err(|e| {
        FormulaError::at(
            None,
            Text::new(
                format!("无法解析（{e}）"),
                format!("cannot be parsed ({e})"),
            ),
        )
    })?;
    let mut c = Compiler {
        toks: &toks,
        resolve,
    };
    let (expr, ty) = c.node(&tree, 0)?;
    if ty != want {
        return Err(FormulaError::at(
            None,
            match want {
                Ty::Num => crate::t!(
                    "公式结果应为数值，而不是条件（真/假）",
                    "the formula must give a number, not a condition (true/false)"
                ),
                Ty::Bool => crate::t!(
                    "公式结果应为条件（如 a > 0），而不是数值",
                    "the formula must give a condition (e.g. a > 0), not a number"
                ),
            },
        ));
    }
    Ok(expr)
}

struct Compiler<'a, R> {
    toks: &'a [Tok],
    resolve: &'a mut R,
}

impl<V, R: FnMut(&str, Shift) -> Option<Resolved<V>>> Compiler<'_, R> {
    fn pos_of(&self, name: &str) -> Option<usize> {
        self.toks
            .iter()
            .find(|t| t.kind == TokKind::Word && t.text == name)
            .map(|t| t.pos)
    }

    fn node(
        &mut self,
        n: &Node<DefaultNumericTypes>,
        depth: usize,
    ) -> Result<(Expr<V>, Ty), FormulaError> {
        if depth > MAX_DEPTH {
            return Err(FormulaError::at(
                None,
                crate::t!(
                    "公式嵌套过深（最多{MAX_DEPTH}层）",
                    "the formula is nested too deeply (at most {MAX_DEPTH} levels)"
                ),
            ));
        }
        let kids = n.children();
        let missing = |sym: &str| {
            FormulaError::at(
                None,
                Text::new(
                    format!("运算符“{sym}”缺少运算对象"),
                    format!("operator `{sym}` is missing an operand"),
                ),
            )
        };
        let bin = |op: BinOp,
                   sym: &str,
                   this: &mut Self,
                   arg: Ty,
                   out: Ty|
         -> Result<(Expr<V>, Ty), FormulaError> {
            let [l, r] = kids else {
                return Err(missing(sym));
            };
            let l = this.typed(l, arg, depth, sym)?;
            let r = this.typed(r, arg, depth, sym)?;
            Ok((Expr::Bin(op, Box::new(l), Box::new(r)), out))
        };
        match n.operator() {
            Operator::RootNode => match kids {
                [one] => self.node(one, depth + 1),
                [] => Err(FormulaError::at(
                    None,
                    crate::t!("括号内为空", "empty brackets"),
                )),
                _ => Err(FormulaError::at(
                    None,
                    crate::t!("缺少运算符", "an operator is missing"),
                )),
            },
            Operator::Add => bin(BinOp::Add, "+", self, Ty::Num, Ty::Num),
            Operator::Sub => bin(BinOp::Sub, "-", self, Ty::Num, Ty::Num),
            Operator::Mul => bin(BinOp::Mul, "*", self, Ty::Num, Ty::Num),
            Operator::Div => {
                let (e, t) = bin(BinOp::Div, "/", self, Ty::Num, Ty::Num)?;
                if let Expr::Bin(_, _, divisor) = &e
                    && constant(divisor).is_some_and(|d| d.is_zero())
                {
                    return Err(FormulaError::at(
                        None,
                        crate::t!(
                            "除数恒为 0：无论数据如何都无法计算",
                            "the divisor is always 0: this can never be computed, whatever the data"
                        ),
                    ));
                }
                Ok((e, t))
            }
            Operator::Eq => bin(BinOp::Eq, "==", self, Ty::Num, Ty::Bool),
            Operator::Neq => bin(BinOp::Ne, "!=", self, Ty::Num, Ty::Bool),
            Operator::Gt => bin(BinOp::Gt, ">", self, Ty::Num, Ty::Bool),
            Operator::Geq => bin(BinOp::Ge, ">=", self, Ty::Num, Ty::Bool),
            Operator::Lt => bin(BinOp::Lt, "<", self, Ty::Num, Ty::Bool),
            Operator::Leq => bin(BinOp::Le, "<=", self, Ty::Num, Ty::Bool),
            Operator::And => bin(BinOp::And, "&&", self, Ty::Bool, Ty::Bool),
            Operator::Or => bin(BinOp::Or, "||", self, Ty::Bool, Ty::Bool),
            Operator::Neg => {
                let [e] = kids else { return Err(missing("-")) };
                Ok((
                    Expr::Neg(Box::new(self.typed(e, Ty::Num, depth, "-")?)),
                    Ty::Num,
                ))
            }
            Operator::Not => {
                let [e] = kids else { return Err(missing("!")) };
                Ok((
                    Expr::Not(Box::new(self.typed(e, Ty::Bool, depth, "!")?)),
                    Ty::Bool,
                ))
            }
            Operator::Const { value } => match value {
                Value::Int(i) => Ok((Expr::Num(Decimal::from(*i)), Ty::Num)),
                // Display of an f64 is the shortest text that reads back as the same number,
                // which is the literal as written for any literal of up to 15 digits.
                Value::Float(f) => Decimal::from_str(&f.to_string())
                    .map(|d| (Expr::Num(d), Ty::Num))
                    .map_err(|_| {
                        FormulaError::at(
                            None,
                            Text::new(
                                format!("数字{f}超出范围"),
                                format!("number {f} is out of range"),
                            ),
                        )
                    }),
                Value::Boolean(b) => Ok((Expr::Bool(*b), Ty::Bool)),
                _ => Err(FormulaError::at(
                    None,
                    crate::t!(
                        "公式中不能使用文本或元组",
                        "formulas cannot contain text or tuples"
                    ),
                )),
            },
            Operator::VariableIdentifierRead { identifier } => self.var(identifier, Shift::Current),
            Operator::FunctionIdentifier { identifier } => self.call(identifier, kids, depth),
            Operator::Assign
            | Operator::AddAssign
            | Operator::SubAssign
            | Operator::MulAssign
            | Operator::DivAssign
            | Operator::ModAssign
            | Operator::ExpAssign
            | Operator::AndAssign
            | Operator::OrAssign
            | Operator::VariableIdentifierWrite { .. } => Err(FormulaError::at(
                self.toks
                    .iter()
                    .find(|t| t.kind == TokKind::Assign)
                    .map(|t| t.pos),
                crate::t!(
                    "公式中不能赋值；比较请写 ==",
                    "formulas cannot assign; write == to compare"
                ),
            )),
            Operator::Chain => Err(FormulaError::at(
                self.toks
                    .iter()
                    .find(|t| t.kind == TokKind::Semicolon)
                    .map(|t| t.pos),
                crate::t!("公式中不能有分号", "formulas cannot contain `;`"),
            )),
            Operator::Tuple => Err(FormulaError::at(
                self.toks
                    .iter()
                    .find(|t| t.kind == TokKind::Comma)
                    .map(|t| t.pos),
                crate::t!(
                    "逗号只能用于函数参数",
                    "commas are only allowed between function arguments"
                ),
            )),
            Operator::Mod => Err(FormulaError::at(
                self.toks.iter().find(|t| t.text == "%").map(|t| t.pos),
                crate::t!(
                    "“%”在公式中不表示百分号；百分数请写成 /100",
                    "`%` is not a percent sign in formulas; divide by 100 instead"
                ),
            )),
            Operator::Exp => Err(FormulaError::at(
                self.toks.iter().find(|t| t.text == "^").map(|t| t.pos),
                crate::t!(
                    "不支持乘方“^”；请写成连乘",
                    "`^` is not supported; multiply instead"
                ),
            )),
        }
    }

    fn typed(
        &mut self,
        n: &Node<DefaultNumericTypes>,
        want: Ty,
        depth: usize,
        sym: &str,
    ) -> Result<Expr<V>, FormulaError> {
        let (e, ty) = self.node(n, depth + 1)?;
        if ty != want {
            let pos = self.toks.iter().find(|t| t.text == sym).map(|t| t.pos);
            return Err(FormulaError::at(
                pos,
                match want {
                    Ty::Num => Text::new(
                        format!("“{sym}”两边应为数值，而不是条件"),
                        format!("`{sym}` needs numbers, not conditions"),
                    ),
                    Ty::Bool => Text::new(
                        format!("“{sym}”两边应为条件，而不是数值"),
                        format!("`{sym}` needs conditions, not numbers"),
                    ),
                },
            ));
        }
        Ok(e)
    }

    fn var(&mut self, name: &str, shift: Shift) -> Result<(Expr<V>, Ty), FormulaError> {
        match (self.resolve)(name, shift) {
            Some(Resolved::Var(v)) => Ok((Expr::Var(v), Ty::Num)),
            Some(Resolved::Const(d)) => Ok((Expr::Num(d), Ty::Num)),
            None if shift != Shift::Current => Err(FormulaError::at(
                self.pos_of(name),
                Text::new(
                    format!("“{name}”不是数据项；yoy()/prev() 只能用于数据项"),
                    format!("`{name}` is not a data element; yoy() and prev() take a data element"),
                ),
            )),
            None => Err(FormulaError::at(
                self.pos_of(name),
                Text::new(
                    format!("未知名称“{name}”"),
                    format!("unknown name `{name}`"),
                ),
            )),
        }
    }

    fn args(kids: &[Node<DefaultNumericTypes>]) -> Vec<&Node<DefaultNumericTypes>> {
        // `f(x)` has its argument under a root node; `f(x, y)` has a tuple there.
        let Some(root) = kids.first() else {
            return Vec::new();
        };
        let inner = match (root.operator(), root.children()) {
            (Operator::RootNode, [one]) => one,
            (Operator::RootNode, []) => return Vec::new(),
            _ => root,
        };
        match inner.operator() {
            Operator::Tuple => inner.children().iter().collect(),
            _ => vec![inner],
        }
    }

    fn call(
        &mut self,
        name: &str,
        kids: &[Node<DefaultNumericTypes>],
        depth: usize,
    ) -> Result<(Expr<V>, Ty), FormulaError> {
        let pos = self.pos_of(name);
        let args = Self::args(kids);
        let arity = |want_zh: &str, want_en: &str, ok: bool| -> Result<(), FormulaError> {
            if ok {
                Ok(())
            } else {
                Err(FormulaError::at(
                    pos,
                    Text::new(
                        format!("{name}() 需要{want_zh}个参数，实际{}个", args.len()),
                        format!("{name}() takes {want_en} argument(s), got {}", args.len()),
                    ),
                ))
            }
        };
        let func = match name {
            "min" => Func::Min,
            "max" => Func::Max,
            "abs" => Func::Abs,
            "floor" => Func::Floor,
            "ceil" => Func::Ceil,
            "if" => Func::If,
            "yoy" | "prev" => {
                arity("1", "1", args.len() == 1)?;
                let shift = if name == "yoy" {
                    Shift::YearEarlier
                } else {
                    Shift::Previous
                };
                return match args.first().map(|a| a.operator()) {
                    Some(Operator::VariableIdentifierRead { identifier }) => {
                        self.var(identifier, shift)
                    }
                    _ => Err(FormulaError::at(
                        pos,
                        Text::new(
                            format!("{name}() 的参数必须是一个数据项名称"),
                            format!("the argument of {name}() must be the name of a data element"),
                        ),
                    )),
                };
            }
            _ => {
                let known = crate::code::RESERVED.contains(&name)
                    || (self.resolve)(name, Shift::Current).is_some();
                return Err(FormulaError::at(
                    pos,
                    if known {
                        Text::new(
                            format!("“{name}”后缺少运算符"),
                            format!("an operator is missing after `{name}`"),
                        )
                    } else {
                        Text::new(
                            format!(
                                "未知函数“{name}”；可用函数：min, max, abs, floor, ceil, if, yoy, prev"
                            ),
                            format!(
                                "unknown function `{name}`; available: min, max, abs, floor, ceil, if, yoy, prev"
                            ),
                        )
                    },
                ));
            }
        };
        match func {
            Func::Min | Func::Max => arity("至少2", "at least 2", args.len() >= 2)?,
            Func::If => arity("3", "3", args.len() == 3)?,
            _ => arity("1", "1", args.len() == 1)?,
        }
        let mut out = Vec::with_capacity(args.len());
        let mut ty = Ty::Num;
        for (i, a) in args.iter().enumerate() {
            let want = if func == Func::If && i == 0 {
                Ty::Bool
            } else {
                Ty::Num
            };
            let (e, t) = self.node(a, depth + 1)?;
            if func == Func::If && i == 1 {
                ty = t;
            }
            let ok = if func == Func::If && i > 0 {
                t == ty
            } else {
                t == want
            };
            if !ok {
                return Err(FormulaError::at(
                    pos,
                    Text::new(
                        format!("{name}() 的第{}个参数类型不对", i + 1),
                        format!("argument {} of {name}() has the wrong type", i + 1),
                    ),
                ));
            }
            out.push(e);
        }
        Ok((Expr::Call(func, out), ty))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    Word,
    Op,
    Assign,
    LParen,
    RParen,
    Comma,
    Semicolon,
    Quote,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    pub kind: TokKind,
    pub text: String,
    /// 1-based character position.
    pub pos: usize,
}

/// Splits a formula into words and operators the way evalexpr does, keeping positions. Only
/// used to say *where* a problem is; evalexpr does the parsing.
pub fn lex(text: &str) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let mut chars = text.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        let pos = i + 1;
        let single = |kind, c: char| Tok {
            kind,
            text: c.to_string(),
            pos,
        };
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(single(TokKind::LParen, c)),
            ')' => out.push(single(TokKind::RParen, c)),
            ',' => out.push(single(TokKind::Comma, c)),
            ';' => out.push(single(TokKind::Semicolon, c)),
            '"' => out.push(single(TokKind::Quote, c)),
            '+' | '-' | '*' | '/' | '%' | '^' | '=' | '!' | '<' | '>' | '&' | '|' => {
                let mut s = c.to_string();
                if let Some(&(_, n)) = chars.peek() {
                    let two = matches!(
                        (c, n),
                        ('=', '=') | ('!', '=') | ('<', '=') | ('>', '=') | ('&', '&') | ('|', '|')
                    ) || (n == '=' && matches!(c, '+' | '-' | '*' | '/' | '%' | '^'));
                    if two {
                        s.push(n);
                        chars.next();
                    }
                }
                let kind = if s == "="
                    || (s.len() == 2
                        && s.ends_with('=')
                        && matches!(c, '+' | '-' | '*' | '/' | '%' | '^'))
                {
                    TokKind::Assign
                } else {
                    TokKind::Op
                };
                out.push(Tok { kind, text: s, pos });
            }
            c => {
                let mut s = c.to_string();
                while let Some(&(_, n)) = chars.peek() {
                    if n.is_whitespace() || "()+-*/%^=!<>&|,;\"".contains(n) {
                        break;
                    }
                    s.push(n);
                    chars.next();
                }
                // `1e-3`: a number in scientific notation continues through its sign.
                let sci = s.ends_with(['e', 'E']) && s.starts_with(|c: char| c.is_ascii_digit());
                if sci && let Some(&(_, sign @ ('+' | '-'))) = chars.peek() {
                    let mut look = chars.clone();
                    look.next();
                    if look.peek().is_some_and(|&(_, d)| d.is_ascii_digit()) {
                        s.push(sign);
                        chars.next();
                        while let Some(&(_, d)) = chars.peek() {
                            if !d.is_ascii_alphanumeric() && d != '.' {
                                break;
                            }
                            s.push(d);
                            chars.next();
                        }
                    }
                }
                out.push(Tok {
                    kind: TokKind::Word,
                    text: s,
                    pos,
                });
            }
        }
    }
    out
}

const FUNCS: &[&str] = &["min", "max", "abs", "floor", "ceil", "if", "yoy", "prev"];

/// Structural checks with positions, before evalexpr sees the text.
fn check_tokens(toks: &[Tok]) -> Result<(), FormulaError> {
    let err = |t: &Tok, m: Text| Err(FormulaError::at(Some(t.pos), m));
    let mut depth: Vec<&Tok> = Vec::new();
    for t in toks {
        match t.kind {
            TokKind::Quote => {
                return err(
                    t,
                    crate::t!(
                        "公式中不能使用文本（引号）",
                        "formulas cannot contain text in quotes"
                    ),
                );
            }
            TokKind::Semicolon => {
                return err(
                    t,
                    crate::t!("公式中不能有分号", "formulas cannot contain `;`"),
                );
            }
            TokKind::Assign => {
                return err(
                    t,
                    crate::t!(
                        "公式中不能赋值；比较请写 ==",
                        "formulas cannot assign; write == to compare"
                    ),
                );
            }
            TokKind::LParen => depth.push(t),
            TokKind::RParen if depth.pop().is_none() => {
                return err(t, crate::t!("多余的右括号“)”", "unmatched `)`"));
            }
            _ => {}
        }
    }
    if let Some(open) = depth.first() {
        return err(
            open,
            crate::t!("左括号“(”没有对应的右括号", "`(` is never closed"),
        );
    }
    let is_value_end = |t: &Tok| matches!(t.kind, TokKind::Word | TokKind::RParen);
    let unary = |t: &Tok| t.kind == TokKind::Op && (t.text == "-" || t.text == "!");
    for (i, t) in toks.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| toks.get(p));
        let next = toks.get(i + 1);
        match t.kind {
            TokKind::Word if prev.is_some_and(is_value_end) => {
                return err(
                    t,
                    Text::new(
                        format!("“{}”前缺少运算符", t.text),
                        format!("an operator is missing before `{}`", t.text),
                    ),
                );
            }
            TokKind::LParen => {
                if let Some(p) = prev
                    && (p.kind == TokKind::RParen
                        || (p.kind == TokKind::Word && !FUNCS.contains(&p.text.as_str())))
                {
                    if p.kind == TokKind::Word {
                        return err(
                            p,
                            Text::new(
                                format!(
                                    "未知函数“{}”；可用函数：min, max, abs, floor, ceil, if, yoy, prev",
                                    p.text
                                ),
                                format!(
                                    "unknown function `{}`; available: min, max, abs, floor, ceil, if, yoy, prev",
                                    p.text
                                ),
                            ),
                        );
                    }
                    return err(
                        t,
                        crate::t!("“(”前缺少运算符", "an operator is missing before `(`"),
                    );
                }
                if next.is_some_and(|n| n.kind == TokKind::RParen)
                    && !prev.is_some_and(|p| p.kind == TokKind::Word)
                {
                    return err(t, crate::t!("括号内为空", "empty brackets"));
                }
            }
            TokKind::Op => {
                let operand_follows = next
                    .is_some_and(|n| matches!(n.kind, TokKind::Word | TokKind::LParen) || unary(n));
                if !operand_follows {
                    return err(
                        t,
                        Text::new(
                            format!("运算符“{}”后缺少运算对象", t.text),
                            format!("operator `{}` is missing its right operand", t.text),
                        ),
                    );
                }
                let operand_before = prev.is_some_and(is_value_end);
                if !operand_before && !unary(t) {
                    return err(
                        t,
                        Text::new(
                            format!("运算符“{}”前缺少运算对象", t.text),
                            format!("operator `{}` is missing its left operand", t.text),
                        ),
                    );
                }
            }
            TokKind::Comma
                if !prev.is_some_and(is_value_end)
                    || !next.is_some_and(|n| {
                        matches!(n.kind, TokKind::Word | TokKind::LParen) || unary(n)
                    }) =>
            {
                return err(
                    t,
                    crate::t!("逗号两边缺少参数", "an argument is missing next to `,`"),
                );
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type V = (&'static str, Shift);

    fn names(known: &'static [&'static str]) -> impl FnMut(&str, Shift) -> Option<Resolved<V>> {
        move |n, s| {
            if n == "k" && s == Shift::Current {
                return Some(Resolved::Const(Decimal::new(4, 1)));
            }
            known
                .iter()
                .find(|k| **k == n)
                .map(|k| Resolved::Var((*k, s)))
        }
    }

    fn value(text: &str, vals: &[(&str, i64)]) -> Result<Decimal, String> {
        let mut r = names(&["a", "b", "持证人数", "执法人数"]);
        let e = compile(text, Ty::Num, &mut r).map_err(|e| e.describe(text).en)?;
        e.num(&|(n, s): V| {
            let key = match s {
                Shift::Current => n.to_owned(),
                Shift::Previous => format!("prev:{n}"),
                Shift::YearEarlier => format!("yoy:{n}"),
            };
            vals.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| Decimal::from(*v))
        })
        .map_err(|e| format!("{e:?}"))
    }

    fn error(text: &str) -> FormulaError {
        let mut r = names(&["a", "b"]);
        compile(text, Ty::Num, &mut r).expect_err(text)
    }

    #[test]
    fn evaluates_exactly_in_decimals() {
        assert_eq!(
            value(
                "持证人数 / 执法人数 * 100",
                &[("持证人数", 48), ("执法人数", 50)]
            ),
            Ok(Decimal::from(96))
        );
        assert_eq!(value("0.1 + 0.2", &[]), Ok(Decimal::new(3, 1)));
        assert_eq!(value("a * k", &[("a", 10)]), Ok(Decimal::from(4)));
        assert_eq!(
            value("if(a > b, a - b, 0)", &[("a", 3), ("b", 5)]),
            Ok(Decimal::ZERO)
        );
        assert_eq!(
            value("max(a, b, 7)", &[("a", 3), ("b", 5)]),
            Ok(Decimal::from(7))
        );
        assert_eq!(
            value("(a - yoy(a)) / yoy(a) * 100", &[("a", 140), ("yoy:a", 100)]),
            Ok(Decimal::from(40))
        );
        assert_eq!(
            value("a - prev(a)", &[("a", 9), ("prev:a", 4)]),
            Ok(Decimal::from(5))
        );
        assert_eq!(value("-a + 1e3", &[("a", 1)]), Ok(Decimal::from(999)));
    }

    #[test]
    fn missing_values_and_division_by_zero_are_reported_not_guessed() {
        assert_eq!(
            value("a / b", &[("a", 1), ("b", 0)]),
            Err("DivisionByZero".into())
        );
        assert_eq!(
            value("a / b", &[("a", 1)]),
            Err(r#"Missing(("b", Current))"#.into())
        );
        // The branch not taken may be missing.
        assert_eq!(value("if(a > 0, a, b)", &[("a", 2)]), Ok(Decimal::from(2)));
    }

    #[test]
    fn errors_say_where() {
        let cases: &[(&str, Option<usize>, &str)] = &[
            ("a +", Some(3), "right operand"),
            ("a + * b", Some(3), "right operand"),
            ("* b", Some(1), "left operand"),
            ("(a + b", Some(1), "never closed"),
            ("a + b)", Some(6), "unmatched"),
            ("a b", Some(3), "operator is missing"),
            ("a + c", Some(5), "unknown name `c`"),
            ("a = 3", Some(3), "cannot assign"),
            ("a; b", Some(2), "`;`"),
            ("a % 3", Some(3), "percent"),
            ("sqrt(a)", Some(1), "unknown function `sqrt`"),
            ("min(a)", Some(1), "takes at least 2"),
            ("\"x\"", Some(1), "quotes"),
            ("a > b", None, "must give a number"),
            ("if(a, 1, 2)", Some(1), "wrong type"),
            ("yoy(3)", Some(1), "name of a data element"),
            ("", None, "empty"),
            ("()", Some(1), "empty brackets"),
            ("1.5.2", Some(1), "unknown name"),
            ("a / 0", None, "divisor is always 0"),
            ("a / (2 - 2)", None, "divisor is always 0"),
        ];
        for (text, pos, needle) in cases {
            let e = error(text);
            assert_eq!(e.position, *pos, "{text}: {:?}", e.message.en);
            assert!(e.message.en.contains(needle), "{text}: {}", e.message.en);
            assert!(!e.message.zh.is_empty());
        }
    }

    #[test]
    fn renders_with_values_substituted() {
        let mut r = names(&["a", "b"]);
        let e = compile("(a - b) / b * 100", Ty::Num, &mut r).expect("valid");
        let s = e.render(&|(n, _): V| if n == "a" { "140".into() } else { "100".into() });
        assert_eq!(s, "(140 - 100) ÷ 100 × 100");
        let e = compile("a - (b - 1)", Ty::Num, &mut r).expect("valid");
        assert_eq!(e.render(&|(n, _): V| n.to_owned()), "a - (b - 1)");
    }

    #[test]
    fn chinese_names_and_conditions() {
        let mut r = names(&["重大事故"]);
        let e = compile("重大事故 > 0", Ty::Bool, &mut r).expect("valid");
        assert_eq!(e.bool(&|_| Some(Decimal::ONE)), Ok(true));
    }
}
