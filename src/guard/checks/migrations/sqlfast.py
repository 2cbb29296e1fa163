"""The fast path of sqlrisk: a recursive-descent parser for exactly the statement forms the
MIG1xx rules and the migration summary look at, built on sqltext.lex. It never imports
sqlglot, so an ordinary migration set is linted without paying sqlglot's import (~0.12 s).

It is conservative by construction. ``facts`` returns the statement's facts only when the
whole statement matched one of the forms below, token for token, in a way sqlglot reads the
same; anything else — an unknown clause or keyword, tokens left over, a keyword used as a
name where sqlglot might read it differently, a function it does not know the arity of, a
comment inside a two-word keyword, odd dialect syntax, malformed SQL — returns None, and
sqlrisk parses that statement with sqlglot exactly as before (its findings, summary and
"does not parse" errors come from sqlglot). tests/test_migrations_fastsql.py runs every
migration in the tests, the benchmark's corpus and generated variants through both paths
and requires identical results.

Forms read here (PostgreSQL, MySQL and SQLite unless noted):
  CREATE TABLE [IF NOT EXISTS] t (column definitions, table constraints)
  CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON t [USING m] (cols) [WHERE e]
  ALTER TABLE [IF EXISTS] [ONLY] t action[, action...]: ADD [COLUMN] [IF NOT EXISTS] def,
    ADD [CONSTRAINT c] UNIQUE/PRIMARY KEY/FOREIGN KEY..., DROP [COLUMN] [IF EXISTS] c
    [CASCADE|RESTRICT], DROP CONSTRAINT [IF EXISTS] c, RENAME TO t2, RENAME COLUMN a TO b,
    ALTER [COLUMN] c [SET DATA] TYPE type [USING e] / SET NOT NULL / DROP NOT NULL /
    SET DEFAULT e / DROP DEFAULT   (SQLite: one action per statement)
  DROP TABLE|VIEW|INDEX|SCHEMA|DATABASE|SEQUENCE [CONCURRENTLY] [IF EXISTS] names
    [CASCADE|RESTRICT]
  TRUNCATE [TABLE] [ONLY] names [RESTART|CONTINUE IDENTITY] [CASCADE|RESTRICT]
  DELETE FROM t [WHERE e];  UPDATE t SET c = e[, ...] [WHERE e]
  INSERT INTO t [(cols)] VALUES (e, ...)[, ...];  SELECT e[, ...];  BEGIN;  COMMIT

Facts are a list of operations that sqlrisk.analyse applies in order, the same list its
sqlglot reading produces:
  ("S", text)                    summary line
  ("C", table)                   table created in this migration
  ("I", table, column)           first column of an index, primary key or unique constraint
  ("F", table, column, label)    foreign key (MIG113 unless an index covers it)
  ("R", rule, message)           risk
  ("N", table, rule, message)    risk unless the table was created earlier in the migration
"""

from __future__ import annotations

import re

from guard.lazyre import Pattern
from guard.checks.migrations.sqltext import lex
from guard.checks.migrations.sqlwords import KEYWORDS, MULTI_FIRST, NOT_ID, TYPES


class Unsure(Exception):
    """The statement is not (entirely) one of the forms read here: sqlglot decides."""


# Words this parser reads as keywords next to a name. An unquoted name spelled like one
# (ALTER TABLE only ..., ADD COLUMN constraint ...) is left to sqlglot.
OWN = frozenset("""
    ACTION ADD ALTER AS ASC BY CASCADE CHECK COLLATE COLUMN CONCURRENTLY CONSTRAINT CONTINUE INDEX
    DATA DEFAULT DEFERRABLE DESC DROP EXISTS FOREIGN GENERATED IDENTITY IF INITIALLY KEY LIKE
    MATCH NO NOT NULL NULLS ON ONLY PRIMARY REFERENCES RENAME RESTART RESTRICT SET TABLE TO
    TYPE UNIQUE USING VALID VALUES WHERE WITH WITHOUT
""".split()) | MULTI_FIRST

# Words that stand alone as a value in an expression.
LITERALS = frozenset(("NULL", "TRUE", "FALSE", "CURRENT_TIMESTAMP", "CURRENT_DATE",
                      "CURRENT_TIME"))

# Functions an expression may call: name → (fewest, most) arguments, as sqlglot checks them.
# Any other function goes to sqlglot (it validates the arity of the functions it knows).
FUNCTIONS = {"NOW": (0, 0), "GEN_RANDOM_UUID": (0, 0), "UUID_GENERATE_V4": (0, 0),
             "LOWER": (1, 1), "UPPER": (1, 1), "COALESCE": (1, 8)}

DROP_KINDS = frozenset(("TABLE", "VIEW", "INDEX", "SCHEMA", "DATABASE", "SEQUENCE"))
COMPARE = frozenset(("=", "<>", "!=", "<", ">", "<=", ">="))
WORD_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
DIGITS = frozenset("0123456789")
NUMBER = Pattern(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# types of two or more words, by their first word
MULTI = {}
for _d, _types in TYPES.items():
    for _name in _types:
        if " " in _name:
            MULTI.setdefault(_d, {}).setdefault(_name.split()[0], []).append(_name.split())
for _d in MULTI:
    for _first in MULTI[_d]:
        MULTI[_d][_first].sort(key=len, reverse=True)
IDENT_QUOTES = {"postgres": '"', "mysql": "`", "sqlite": '"`['}
STRING_QUOTES = {"postgres": "'eE$", "mysql": "'\"", "sqlite": "'"}
UNSAFE = {d: NOT_ID[d] | OWN for d in NOT_ID}


def facts(sql: str, read: str) -> list | None:
    """The statement's facts, or None when sqlglot has to read it."""
    lexed = lex(sql, read)
    if lexed is None or not lexed[0]:
        return None
    parser = _PARSERS.get(read)
    if parser is None:
        return None
    try:
        return parser(lexed[0], lexed[1]).statement()
    except (Unsure, IndexError):
        return None


class _Parser:
    """One statement's parser. The dialect's tables are class attributes of a subclass per
    dialect (_PARSERS), so a statement sets only its tokens."""
    __slots__ = ("t", "u", "i", "cuts")
    d: str
    unsafe: frozenset[str]
    idq: str
    strq: str
    types: dict
    multi: dict

    def __init__(self, toks: list[str], cuts):
        toks.append("")                 # the end: no rule accepts it (the list is ours)
        self.t = toks
        self.u = list(map(str.upper, toks))
        self.i = 0
        self.cuts = cuts

    # --- tokens -------------------------------------------------------------------------
    def accept(self, word: str) -> bool:
        if self.u[self.i] == word:
            self.i += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if self.u[self.i] != word:
            raise Unsure(word)
        self.i += 1

    def accept_seq(self, *words: str) -> bool:
        """Words that sqlglot reads as one keyword (PRIMARY KEY): no comment between."""
        i = self.i
        if self.u[i:i + len(words)] != list(words):
            return False
        if self.cuts and any(i + k in self.cuts for k in range(1, len(words))):
            raise Unsure("comment inside a keyword")
        self.i += len(words)
        return True

    def end(self) -> None:
        if self.i != len(self.t) - 1:
            raise Unsure("tokens left over")

    def name(self) -> str:
        """One identifier, lower-cased as sqlrisk names it."""
        t = self.t[self.i]
        c = t[:1]
        if c in WORD_START and t[-1] != "'":            # not E'...'
            if self.u[self.i] in self.unsafe:
                raise Unsure(t)
            self.i += 1
            return t.lower()
        if c and c in self.idq and len(t) > 2:
            inner = t[1:-1]
            if c in inner or "]" in inner:
                raise Unsure(t)      # escaped quote: leave to sqlglot
            self.i += 1
            return inner.lower()
        raise Unsure(t)

    def table(self) -> str:
        """[catalog.][schema.]table → table."""
        name = self.name()
        for _ in range(2):
            if not self.accept("."):
                break
            name = self.name()
        return name

    def names(self) -> list[str]:
        out = [self.table()]
        while self.accept(","):
            out.append(self.table())
        return out

    def columns(self) -> list[str]:
        """( col[, col...] )"""
        self.expect("(")
        cols = [self.name()]
        while self.accept(","):
            cols.append(self.name())
        self.expect(")")
        return cols

    def exists(self, not_: bool = False) -> None:
        if self.accept("IF"):
            if not_:
                self.expect("NOT")
            self.expect("EXISTS")

    # --- data types ---------------------------------------------------------------------
    def dtype(self, render: bool) -> str | None:
        """A data type; its sqlglot rendering when ``render`` (else None for a type
        sqlglot knows by a name of the user's)."""
        u = self.u[self.i]
        start = self.i + 1
        key = None
        for words in self.multi.get(u, ()):
            if self.u[self.i:self.i + len(words)] == words:
                if self.cuts and any(self.i + k in self.cuts for k in range(1, len(words))):
                    raise Unsure("comment inside a type")
                key = " ".join(words)
                self.i += len(words)
                break
        if key is None:
            forms = self.types.get(u)
            if forms is None:
                # a type of the user's (CREATE TYPE mood ...): PostgreSQL and SQLite only
                if render or self.d == "mysql" or u in KEYWORDS or \
                        self.t[self.i][:1] not in WORD_START:
                    raise Unsure(u)
                self.i += 1
                if self.u[self.i] in ("(", "[", "."):
                    raise Unsure("user type with arguments")
                return None
            key = u
            self.i += 1
        forms = self.types[key]
        params = []
        if self.accept("("):
            params.append(self.integer())
            if self.accept(","):
                params.append(self.integer())
            self.expect(")")
            if render and self.cuts and any(k in self.cuts for k in range(start, self.i)):
                raise Unsure("comment inside a type sqlglot writes back")
        if self.u[self.i] == "[":
            raise Unsure("array type")
        form = forms[len(params)]
        if form is None:
            raise Unsure("type parameters")
        return form.format(*params) if render else None

    def integer(self) -> str:
        t = self.t[self.i]
        if not t.isdigit() or not t.isascii() or (t[0] == "0" and t != "0"):
            raise Unsure(t)
        self.i += 1
        return t

    # --- expressions (validated, not built: no fact depends on their value) --------------
    def expr(self) -> None:
        """OR / AND / NOT / comparisons: sqlglot's disjunction."""
        self.conjunction()
        while self.accept("OR"):
            self.conjunction()

    def conjunction(self) -> None:
        self.negation()
        while self.accept("AND"):
            self.negation()

    def negation(self) -> None:
        while self.accept("NOT"):
            pass
        self.comparison()

    def comparison(self) -> None:
        self.bitwise()
        while True:
            u = self.u[self.i]
            if u in COMPARE:
                self.i += 1
                self.bitwise()
            elif u == "IS":
                self.i += 1
                self.accept("NOT")
                if self.u[self.i] not in ("NULL", "TRUE", "FALSE"):
                    raise Unsure("IS")
                self.i += 1
            else:
                negated = u == "NOT"
                if negated:
                    u = self.u[self.i + 1]
                if u in ("LIKE", "ILIKE"):
                    self.i += 1 + negated
                    self.bitwise()
                elif u == "IN":
                    self.i += 1 + negated
                    self.expect("(")
                    if self.u[self.i] in ("SELECT", "WITH", ")"):
                        raise Unsure("IN subquery")
                    self.expr()
                    while self.accept(","):
                        self.expr()
                    self.expect(")")
                elif u == "BETWEEN":
                    self.i += 1 + negated
                    self.bitwise()
                    self.expect("AND")
                    self.bitwise()
                elif negated:
                    raise Unsure("NOT")
                else:
                    return

    def bitwise(self) -> None:
        """Arithmetic and || : sqlglot's bitwise level (what DEFAULT takes)."""
        self.term()
        while True:
            u = self.u[self.i]
            if u in ("+", "-") or (u == "||" and self.d != "mysql"):
                self.i += 1
                self.term()
            else:
                return

    def term(self) -> None:
        self.unary()
        while self.u[self.i] in ("*", "/", "%"):
            self.i += 1
            self.unary()

    def unary(self) -> None:
        while self.u[self.i] in ("-", "+"):
            self.i += 1
        self.primary()
        while self.u[self.i] == "::" and self.d == "postgres":
            self.i += 1
            self.dtype(render=False)

    def primary(self) -> None:
        t = self.t[self.i]
        u = self.u[self.i]
        c = t[:1]
        if c in DIGITS or (c == "." and t[1:2] in DIGITS):
            if NUMBER.fullmatch(t) is None:
                raise Unsure(t)
            self.i += 1
            return
        if c and c in self.strq and len(t) > 1:
            if c not in "eE":
                self.i += 1
                return
            if t[1] == "'":
                if len(t) < 3:
                    raise Unsure("unclosed E string")
                self.i += 1
                return
            # else a word starting with e, read below
        if c == "(":
            self.i += 1
            if self.u[self.i] in ("SELECT", "WITH", ")"):
                raise Unsure("subquery")
            self.expr()
            if self.u[self.i] == ",":
                raise Unsure("tuple")
            self.expect(")")
            return
        if c in WORD_START:
            if u in LITERALS:
                self.i += 1
                return
            if self.u[self.i + 1] == "(":
                arity = FUNCTIONS.get(u)
                if arity is None:
                    raise Unsure(f"function {t}")
                self.i += 2
                n = 0
                if not self.accept(")"):
                    self.expr()
                    n = 1
                    while self.accept(","):
                        self.expr()
                        n += 1
                    self.expect(")")
                if not arity[0] <= n <= arity[1]:
                    raise Unsure("arity")
                return
            self.column_ref()
            return
        if c and c in self.idq and len(t) > 2:
            self.column_ref()
            return
        raise Unsure(t)

    def column_ref(self) -> None:
        for k in range(3):
            t = self.t[self.i]
            if t[:1] in WORD_START and self.u[self.i] in KEYWORDS:
                raise Unsure(t)         # a keyword as a value: sqlglot may read it otherwise
            self.name()
            if not self.accept("."):
                return
        raise Unsure("name with four parts")

    # --- statements ---------------------------------------------------------------------
    def statement(self) -> list:
        u = self.u[0]
        self.i = 1
        if u == "CREATE":
            out = self.create()
        elif u == "ALTER":
            out = self.alter()
        elif u == "DROP":
            out = self.drop()
        elif u == "TRUNCATE":
            out = self.truncate()
        elif u == "DELETE":
            out = self.delete()
        elif u == "UPDATE":
            out = self.update()
        elif u == "INSERT":
            out = self.insert()
        elif u == "SELECT":
            out = self.select()
        elif u in ("BEGIN", "COMMIT") and len(self.t) == 2:
            out = [("S", "transaction" if u == "BEGIN" else "commit")]
        else:
            raise Unsure(u)
        self.end()
        return out

    def create(self) -> list:
        if self.accept("TABLE"):
            return self.create_table()
        unique = self.accept("UNIQUE")
        self.expect("INDEX")
        return self.create_index(unique)

    def create_table(self) -> list:
        self.exists(not_=True)
        table = self.table()
        out: list = [("C", table), ("S", f"create table {table}")]
        self.expect("(")
        while True:
            self.table_element(table, out)
            if not self.accept(","):
                break
        self.expect(")")
        return out

    def table_element(self, table: str, out: list) -> None:
        u = self.u[self.i]
        if u in ("CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN"):
            if self.accept("CONSTRAINT"):
                self.name()
                if self.u[self.i] not in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK"):
                    raise Unsure("constraint")
            self.table_constraint(table, out)
            return
        if u in ("CHECK", "LIKE", "EXCLUDE", "INDEX", "KEY", "PERIOD"):
            raise Unsure(u)
        col = self.name()
        self.dtype(render=False)
        cons = self.column_constraints()
        if "PK" in cons or "UNIQUE" in cons:
            out.append(("I", table, col))
        if "REF" in cons:
            out.append(("F", table, col, f"{table}.{col}"))

    def table_constraint(self, table: str, out: list) -> None:
        if self.accept_seq("PRIMARY", "KEY"):
            first = self.columns()[0]
            out.append(("I", table, first))
        elif self.accept("UNIQUE"):
            if self.u[self.i] != "(":
                raise Unsure("UNIQUE KEY / name")
            first = self.columns()[0]
            out.append(("I", table, first))
        elif self.accept_seq("FOREIGN", "KEY"):
            first = self.columns()[0]
            self.references()
            out.append(("F", table, first, f"{table}({first})"))
        elif self.accept("CHECK"):
            self.check()
        else:
            raise Unsure("constraint")

    def check(self) -> None:
        self.expect("(")
        self.expr()
        self.expect(")")

    def references(self) -> None:
        """REFERENCES t [(cols)] [ON DELETE|UPDATE action]..."""
        self.expect("REFERENCES")
        self.table()
        if self.u[self.i] == "(":
            self.columns()
        while self.accept("ON"):
            if self.u[self.i] not in ("DELETE", "UPDATE"):
                raise Unsure("ON")
            self.i += 1
            if self.accept("NO"):
                self.expect("ACTION")
            elif self.accept("SET"):
                if self.u[self.i] not in ("NULL", "DEFAULT"):
                    raise Unsure("SET")
                self.i += 1
            elif self.u[self.i] in ("CASCADE", "RESTRICT"):
                self.i += 1
            else:
                raise Unsure("action")

    def column_constraints(self) -> set[str]:
        """NOT NULL, NULL, DEFAULT e, PRIMARY KEY, UNIQUE, REFERENCES ..., CHECK (e)."""
        seen: set[str] = set()
        while True:
            u = self.u[self.i]
            if u == "NOT":
                if self.u[self.i + 1] != "NULL":
                    raise Unsure("NOT")
                self.i += 2
                seen.add("NOT NULL")
            elif u == "NULL":
                self.i += 1
                seen.add("NULL")
            elif u == "DEFAULT":
                self.i += 1
                self.bitwise()
                seen.add("DEFAULT")
            elif u == "PRIMARY":
                if not self.accept_seq("PRIMARY", "KEY"):
                    raise Unsure("PRIMARY")
                if self.u[self.i] in ("(", "ASC", "DESC"):
                    raise Unsure("PRIMARY KEY (")
                seen.add("PK")
            elif u == "UNIQUE":
                self.i += 1
                if self.u[self.i] in ("(", "KEY", "INDEX", "NULLS"):
                    raise Unsure("UNIQUE ...")
                seen.add("UNIQUE")
            elif u == "REFERENCES":
                self.references()
                seen.add("REF")
            elif u == "CHECK":
                self.i += 1
                self.check()
            elif u in (",", ")", ""):
                return seen
            else:
                raise Unsure(u)

    def create_index(self, unique: bool) -> list:
        conc = self.accept("CONCURRENTLY")
        self.exists(not_=True)
        index = "?" if self.u[self.i] == "ON" else self.name()
        self.expect("ON")
        table = self.table()
        if self.accept("USING"):
            self.name()
        self.expect("(")
        first = None
        while True:
            col = self.name()
            first = first or col
            if self.u[self.i] in ("ASC", "DESC"):
                self.i += 1
            if not self.accept(","):
                break
        self.expect(")")
        if self.accept("WHERE"):
            self.expr()
        out: list = [("I", table, first),
                     ("S", f"create {'unique ' if unique else ''}index {index} on {table}")]
        if unique:
            out.append(("N", table, "MIG111", f"unique index on existing table {table}"))
        if self.d == "postgres" and not conc:
            out.append(("N", table, "MIG112", f"CREATE INDEX on existing table {table} "
                        "without CONCURRENTLY"))
        return out

    def alter(self) -> list:
        self.expect("TABLE")
        self.exists()
        if self.d == "postgres":
            self.accept("ONLY")
        table = self.table()
        out: list = []
        parts = []
        while True:
            parts.append(self.alter_action(table, out))
            if not self.accept(","):
                break
            if self.d == "sqlite":
                raise Unsure("several actions")
        out.append(("S", f"alter table {table}: {', '.join(p for p in parts if p)}"))
        return out

    def alter_action(self, table: str, out: list) -> str:
        u = self.u[self.i]
        if u == "ADD":
            self.i += 1
            nxt = self.u[self.i]
            if nxt in ("CONSTRAINT", "UNIQUE", "FOREIGN", "PRIMARY"):
                return self.add_constraint(table, out)
            if nxt in ("CHECK", "INDEX", "KEY", "PARTITION", "COLUMNS"):
                raise Unsure(nxt)
            if self.accept("COLUMN"):
                self.exists(not_=True)
            elif self.u[self.i] == "IF":
                raise Unsure("ADD IF")
            col = self.name()
            self.dtype(render=False)
            cons = self.column_constraints()
            if "NOT NULL" in cons and "DEFAULT" not in cons:
                out.append(("N", table, "MIG110",
                            f"adds NOT NULL column {table}.{col} with no default"))
            if "REF" in cons:
                out.append(("F", table, col, f"{table}.{col}"))
            return f"add column {col}"
        if u == "DROP":
            self.i += 1
            if self.accept("CONSTRAINT"):
                self.exists()
                name = self.name()
                self.accept("CASCADE") or self.accept("RESTRICT")
                return f"drop constraint {name}"
            if not self.accept("COLUMN"):
                raise Unsure("DROP without COLUMN")
            self.exists()
            col = self.name()
            self.accept("CASCADE") or self.accept("RESTRICT")
            out.append(("R", "MIG102", f"drops column {table}.{col}"))
            return f"drop column {col}"
        if u == "RENAME":
            self.i += 1
            if self.accept("TO"):
                new = self.table()
                out.append(("R", "MIG107", f"renames table {table} to {new}"))
                return f"rename to {new}"
            self.expect("COLUMN")
            old = self.name()
            self.expect("TO")
            new = self.name()
            out.append(("R", "MIG108", f"renames column {table}.{old} to {new}"))
            return f"rename column {old} to {new}"
        if u == "ALTER":
            self.i += 1
            if not self.accept("COLUMN"):
                raise Unsure("ALTER without COLUMN")
            return self.alter_column(table, self.name(), out)
        raise Unsure(u)

    def alter_column(self, table: str, col: str, out: list) -> str:
        u = self.u[self.i]
        if u == "SET" and self.u[self.i + 1] == "NOT" and self.u[self.i + 2] == "NULL":
            self.i += 3
            out.append(("N", table, "MIG110", f"sets NOT NULL on existing column {table}.{col}"))
            return f"set not null on {col}"
        if u == "DROP" and self.u[self.i + 1] == "NOT" and self.u[self.i + 2] == "NULL":
            self.i += 3
            return f"alter column {col}"
        if u == "DROP" and self.u[self.i + 1] == "DEFAULT":
            self.i += 2
            return f"alter column {col}"
        if u == "SET" and self.u[self.i + 1] == "DEFAULT":
            self.i += 2
            self.expr()
            return f"alter column {col}"
        if u == "SET" and self.u[self.i + 1] == "DATA":
            self.i += 2
            u = self.u[self.i]
        if u != "TYPE":
            raise Unsure(u)
        self.i += 1
        rendered = self.dtype(render=True)
        if self.accept("USING"):
            self.expr()
        out.append(("R", "MIG109", f"changes the type of {table}.{col} to {rendered}"))
        return f"alter column {col} type {rendered}"

    def add_constraint(self, table: str, out: list) -> str:
        if self.accept("CONSTRAINT"):
            self.name()
        if self.accept("UNIQUE"):
            if self.u[self.i] != "(":
                raise Unsure("UNIQUE")
            self.columns()
            out.append(("N", table, "MIG111", f"unique constraint on existing table {table}"))
            return "add unique constraint"
        if self.accept_seq("PRIMARY", "KEY"):
            self.columns()
            return "add constraint"
        if self.accept_seq("FOREIGN", "KEY"):
            first = self.columns()[0]
            self.references()
            out.append(("F", table, first, f"{table}({first})"))
            return "add foreign key"
        raise Unsure("constraint")

    def drop(self) -> list:
        kind = self.u[self.i]
        if kind not in DROP_KINDS:
            raise Unsure(kind)
        self.i += 1
        if kind == "INDEX" and self.d == "postgres":
            self.accept("CONCURRENTLY")
        self.exists()
        names = self.names()
        if kind == "INDEX" and self.u[self.i] == "ON":
            raise Unsure("DROP INDEX ... ON")     # MySQL's form: sqlrisk reports it elsewhere
        if len(names) > 1 and kind != "TABLE":
            raise Unsure("several names")
        self.accept("CASCADE") or self.accept("RESTRICT")
        out: list = [("S", f"drop {kind.lower()} {', '.join(names)}")]
        if kind == "TABLE":
            out += [("R", "MIG101", f"DROP TABLE {n}") for n in names]
        elif kind in ("SCHEMA", "DATABASE"):
            out.append(("R", "MIG103", f"DROP {kind} {', '.join(names)}"))
        return out

    def truncate(self) -> list:
        self.accept("TABLE")
        if self.d == "postgres":
            self.accept("ONLY")
        names = self.names()
        if self.d == "postgres":
            if self.accept("RESTART") or self.accept("CONTINUE"):
                self.expect("IDENTITY")
            self.accept("CASCADE") or self.accept("RESTRICT")
        text = ", ".join(names)
        return [("S", f"truncate {text}"), ("R", "MIG104", f"TRUNCATE {text}")]

    def delete(self) -> list:
        self.expect("FROM")
        table = self.table()
        out: list = [("S", f"delete from {table}")]
        if self.accept("WHERE"):
            self.expr()
        else:
            out.append(("R", "MIG105", f"DELETE FROM {table} without WHERE deletes every row"))
        return out

    def update(self) -> list:
        table = self.table()
        self.expect("SET")
        while True:
            self.name()
            self.expect("=")
            self.expr()
            if not self.accept(","):
                break
        out: list = [("S", f"update {table}")]
        if self.accept("WHERE"):
            self.expr()
        else:
            out.append(("R", "MIG106", f"UPDATE {table} without WHERE rewrites every row"))
        return out

    def insert(self) -> list:
        self.expect("INTO")
        table = self.table()
        if self.u[self.i] == "(":
            self.columns()
        self.expect("VALUES")
        while True:
            self.expect("(")
            self.expr()
            while self.accept(","):
                self.expr()
            self.expect(")")
            if not self.accept(","):
                break
        return [("S", f"insert into {table}")]

    def select(self) -> list:
        while True:
            self.expr()
            if not self.accept(","):
                break
        return [("S", "select")]


_PARSERS = {read: type(f"_Parser_{read}", (_Parser,), {
    "__slots__": (), "d": read, "unsafe": UNSAFE[read], "idq": IDENT_QUOTES[read],
    "strq": STRING_QUOTES[read], "types": TYPES[read], "multi": MULTI.get(read, {})})
    for read in UNSAFE}
