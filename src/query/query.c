/* query.c: the query language of dtree-query(7): a lexer, a recursive
 * descent parser bounded by limits.max_depth, the evaluator over groups and
 * variables, and the PurePath-style path glob matcher. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "query.h"

/* ---- path globs ---- */

typedef struct comps {
    char **v;
    size_t n;
    bool absolute;
} comps;

static void comps_free(comps *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
    c->v = NULL;
    c->n = 0;
}

/* Split at '/', dropping empty and "." components; a relative pattern
 * gets a leading "**" (PurePath.match matches it against the path's end). */
static int comps_split(comps *out, const char *s, bool pattern)
{
    size_t cap = 4;
    const char *p = s;

    out->n = 0;
    out->absolute = *s == '/';
    out->v = dt__malloc(cap * sizeof *out->v);
    if (!out->v)
        return DT_ENOMEM;
    if (pattern && !out->absolute) {
        out->v[out->n] = dt__strdup("**");
        if (!out->v[out->n])
            goto nomem;
        out->n++;
    }
    while (*p) {
        const char *q = p;
        size_t len;

        while (*q && *q != '/')
            q++;
        len = (size_t)(q - p);
        if (len && !(len == 1 && *p == '.')) {
            if (out->n == cap) {
                char **nv = dt__realloc(out->v, 2 * cap * sizeof *nv);

                if (!nv)
                    goto nomem;
                out->v = nv;
                cap *= 2;
            }
            out->v[out->n] = dt__strndup(p, len);
            if (!out->v[out->n])
                goto nomem;
            out->n++;
        }
        p = *q ? q + 1 : q;
    }
    return DT_OK;
nomem:
    comps_free(out);
    return DT_ENOMEM;
}

/* Dynamic programming over (pattern component, path component). */
static int comps_match(const comps *pat, const comps *path)
{
    size_t np = pat->n, ns = path->n, w = ns + 1;
    unsigned char *dp = dt__calloc((np + 1) * w, 1);
    int r;

    if (!dp)
        return DT_ENOMEM;
    dp[np * w + ns] = 1;
    for (size_t pi = np; pi-- > 0;) {
        bool any = strcmp(pat->v[pi], "**") == 0;

        for (size_t si = ns + 1; si-- > 0;) {
            unsigned char m;

            if (any)
                m = dp[(pi + 1) * w + si] || (si < ns && dp[pi * w + si + 1]);
            else
                m = si < ns && dp[(pi + 1) * w + si + 1] &&
                    fnmatch(pat->v[pi], path->v[si], 0) == 0;
            dp[pi * w + si] = m;
        }
    }
    r = dp[0];
    free(dp);
    return r;
}

bool dt__glob_match(const char *pattern, const char *path)
{
    comps pc, sc;
    int r = 0;

    if (comps_split(&pc, pattern, true) < 0)
        return false;
    if (comps_split(&sc, path, false) == DT_OK) {
        r = comps_match(&pc, &sc);
        comps_free(&sc);
    }
    comps_free(&pc);
    return r > 0;
}

/* ---- the syntax tree ---- */

typedef enum { Q_AND, Q_OR, Q_NOT, Q_GLOB, Q_DIM, Q_DTYPE, Q_HAS, Q_IS, Q_CMP } qkind;
typedef enum { F_NDIM, F_SIZE, F_NAME, F_PATH, F_DTYPE, F_ATTR } qfield;
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_RE, OP_NRE } qop;
typedef enum { IS_GROUP, IS_VAR, IS_COORD, IS_INDEX, IS_DATA } qis;

/* dtype(...) arguments: an exact type, or a family of types. */
typedef enum {
    TM_EXACT, TM_INT, TM_UINT, TM_INTEGER, TM_FLOAT, TM_COMPLEX, TM_NUMBER,
    TM_TEXT, TM_BYTES, TM_UNICODE, TM_ENUM
} tmkind;

typedef struct tmatch {
    tmkind kind;
    dt_type type;
} tmatch;

typedef struct qnode qnode;
struct qnode {
    qkind kind;
    qnode **kids;        /* and, or: any number; not: one */
    size_t nkids;
    comps glob;          /* Q_GLOB */
    char **names;        /* Q_DIM: dimensions; Q_HAS, F_ATTR: the attribute */
    size_t nnames;
    tmatch *types;       /* Q_DTYPE, F_DTYPE */
    size_t ntypes;
    qis is;              /* Q_IS */
    qfield field;        /* Q_CMP */
    qop op;
    char *lit;           /* the value compared with, as text */
    bool lit_num;        /* it reads as a number */
    double num;
    regex_t re;          /* OP_RE, OP_NRE */
    bool re_ok;
};

struct dt_query {
    char *text;
    qnode *root;
};

static void qnode_free(qnode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        qnode_free(n->kids[i]);
    free(n->kids);
    comps_free(&n->glob);
    for (size_t i = 0; i < n->nnames; i++)
        free(n->names[i]);
    free(n->names);
    free(n->types);
    free(n->lit);
    if (n->re_ok)
        regfree(&n->re);
    free(n);
}

/* ---- the lexer ---- */

typedef enum { T_END, T_LPAREN, T_RPAREN, T_COMMA, T_WORD, T_STRING, T_ATTR, T_OP } tkind;

typedef struct token {
    tkind kind;
    size_t col;          /* byte offset in the text */
    char *text;          /* WORD, STRING (unescaped), ATTR (the name) */
    qop op;
} token;

typedef struct parser {
    const char *src;
    size_t pos;
    token tok;           /* the current token */
    uint32_t max_depth;
    uint32_t depth;
    size_t err_col;      /* 1-based, once an error is set */
} parser;

static int perr(parser *p, int code, size_t col, const char *fmt, ...) DT__PRINTF(4, 5);

/* `query "TEXT": column N: problem`, the column 1-based. */
static int perr(parser *p, int code, size_t col, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    p->err_col = col + 1;
    return dt__fail(code, "query \"%.300s\": column %zu: %s", p->src, col + 1, what);
}

static const char *tok_desc(const token *t, char *buf, size_t n)
{
    switch (t->kind) {
    case T_END: return "the end of the query";
    case T_LPAREN: return "'('";
    case T_RPAREN: return "')'";
    case T_COMMA: return "','";
    case T_OP: {
        static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">=", "~", "!~"};
        snprintf(buf, n, "'%s'", ops[t->op]);
        return buf;
    }
    case T_ATTR: snprintf(buf, n, "'@%.60s'", t->text); return buf;
    case T_STRING: snprintf(buf, n, "\"%.60s\"", t->text); return buf;
    default: snprintf(buf, n, "'%.60s'", t->text); return buf;
    }
}

/* Characters that end a word. */
static bool word_stop(char c)
{
    return c == '\0' || isspace((unsigned char)c) || strchr("()\"',=!<>~@", c) != NULL;
}

static int lex_string(parser *p, size_t start, char quote, char **out)
{
    dt__buf b;
    size_t i = start + 1;

    dt__buf_init(&b);
    for (;; i++) {
        char c = p->src[i];

        if (c == '\0') {
            dt__buf_free(&b);
            return perr(p, DT_EINVAL, start, "the string is not closed (a %c is missing)",
                        quote);
        }
        if (c == quote)
            break;
        if (c == '\\' && p->src[i + 1]) {
            char e = p->src[++i];
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
        dt__buf_putc(&b, c);
    }
    p->pos = i + 1;
    *out = dt__buf_take(&b);
    return *out ? DT_OK : DT_ENOMEM;
}

/* Read the next token into p->tok. */
static int lex(parser *p)
{
    const char *s = p->src;
    size_t i = p->pos;

    free(p->tok.text);
    memset(&p->tok, 0, sizeof p->tok);
    while (isspace((unsigned char)s[i]))
        i++;
    p->tok.col = i;
    p->pos = i + 1;
    switch (s[i]) {
    case '\0':
        p->tok.kind = T_END;
        p->pos = i;
        return DT_OK;
    case '(': p->tok.kind = T_LPAREN; return DT_OK;
    case ')': p->tok.kind = T_RPAREN; return DT_OK;
    case ',': p->tok.kind = T_COMMA; return DT_OK;
    case '"':
    case '\'':
        p->tok.kind = T_STRING;
        return lex_string(p, i, s[i], &p->tok.text);
    case '=':
        p->tok.kind = T_OP;
        p->tok.op = OP_EQ;
        p->pos = s[i + 1] == '=' ? i + 2 : i + 1; /* '=' reads as '==' */
        return DT_OK;
    case '!':
        p->tok.kind = T_OP;
        p->pos = i + 2;
        if (s[i + 1] == '=')
            p->tok.op = OP_NE;
        else if (s[i + 1] == '~')
            p->tok.op = OP_NRE;
        else
            return perr(p, DT_EINVAL, i, "'!' must be followed by '=' or '~' "
                        "(negate a test with 'not')");
        return DT_OK;
    case '<':
    case '>':
        p->tok.kind = T_OP;
        if (s[i + 1] == '=') {
            p->tok.op = s[i] == '<' ? OP_LE : OP_GE;
            p->pos = i + 2;
        } else {
            p->tok.op = s[i] == '<' ? OP_LT : OP_GT;
        }
        return DT_OK;
    case '~':
        p->tok.kind = T_OP;
        p->tok.op = OP_RE;
        return DT_OK;
    case '@':
        p->tok.kind = T_ATTR;
        if (s[i + 1] == '"' || s[i + 1] == '\'')
            return lex_string(p, i + 1, s[i + 1], &p->tok.text);
        {
            size_t j = i + 1;

            while (!word_stop(s[j]))
                j++;
            if (j == i + 1)
                return perr(p, DT_EINVAL, i, "expected an attribute name after '@'");
            p->tok.text = dt__strndup(s + i + 1, j - i - 1);
            p->pos = j;
            return p->tok.text ? DT_OK : DT_ENOMEM;
        }
    default: {
        size_t j = i;

        /* a word: a name, a number or a glob; [...] may hold any character */
        while (!word_stop(s[j])) {
            if (s[j] == '[') {
                size_t k = j + 1;

                if (s[k] == '!' || s[k] == '^')
                    k++;
                if (s[k] == ']')
                    k++;
                while (s[k] && s[k] != ']')
                    k++;
                if (s[k] == ']') {
                    j = k + 1;
                    continue;
                }
            }
            j++;
        }
        p->tok.kind = T_WORD;
        p->tok.text = dt__strndup(s + i, j - i);
        p->pos = j;
        return p->tok.text ? DT_OK : DT_ENOMEM;
    }
    }
}

/* Is the character after the current token (spaces skipped) c? */
static bool next_is(const parser *p, char c)
{
    size_t i = p->pos;

    while (isspace((unsigned char)p->src[i]))
        i++;
    return p->src[i] == c;
}

static bool next_is_op(const parser *p)
{
    size_t i = p->pos;

    while (isspace((unsigned char)p->src[i]))
        i++;
    if (p->src[i] == '!')
        return p->src[i + 1] == '=' || p->src[i + 1] == '~';
    return p->src[i] && strchr("=<>~", p->src[i]) != NULL;
}

static bool is_word(const token *t, const char *w)
{
    return t->kind == T_WORD && strcmp(t->text, w) == 0;
}

/* ---- the parser ---- */

static qnode *new_node(qkind kind)
{
    qnode *n = dt__calloc(1, sizeof(qnode));

    if (n)
        n->kind = kind;
    return n;
}

static int add_kid(qnode *n, qnode *kid)
{
    qnode **k = dt__realloc(n->kids, (n->nkids + 1) * sizeof *k);

    if (!k)
        return DT_ENOMEM;
    n->kids = k;
    n->kids[n->nkids++] = kid;
    return DT_OK;
}

static int add_name(qnode *n, const char *name)
{
    char **v = dt__realloc(n->names, (n->nnames + 1) * sizeof *v);

    if (!v)
        return DT_ENOMEM;
    n->names = v;
    n->names[n->nnames] = dt__strdup(name);
    if (!n->names[n->nnames])
        return DT_ENOMEM;
    n->nnames++;
    return DT_OK;
}

static bool parse_number(const char *s, double *out)
{
    char *end;

    if (!*s || isspace((unsigned char)*s))
        return false;
    errno = 0;
    *out = strtod(s, &end);
    return *end == '\0' && errno != ERANGE;
}

static int add_type(parser *p, qnode *n, const char *name, size_t col)
{
    static const struct {
        const char *name;
        tmkind kind;
    } families[] = {
        {"int", TM_INT}, {"uint", TM_UINT}, {"integer", TM_INTEGER},
        {"float", TM_FLOAT}, {"complex", TM_COMPLEX}, {"number", TM_NUMBER},
        {"text", TM_TEXT}, {"bytes", TM_BYTES}, {"unicode", TM_UNICODE},
        {"enum", TM_ENUM},
    };
    tmatch m = {TM_EXACT, DT_NONE};
    tmatch *v;

    for (size_t i = 0; i < sizeof families / sizeof *families; i++) {
        if (strcmp(name, families[i].name) == 0)
            m.kind = families[i].kind;
    }
    if (m.kind == TM_EXACT && dt_type_parse(&m.type, name) < 0)
        return perr(p, DT_EINVAL, col, "unknown dtype \"%.60s\" (a type such as float32, "
                    "or int, uint, integer, float, complex, number, text, bytes, unicode, "
                    "enum)", name);
    v = dt__realloc(n->types, (n->ntypes + 1) * sizeof *v);
    if (!v)
        return DT_ENOMEM;
    n->types = v;
    n->types[n->ntypes++] = m;
    return DT_OK;
}

static int parse_or(parser *p, qnode **out);

/* What glibc's regcomp would blow up on: a repetition right after another
 * ("a++++", undefined in POSIX; each one multiplies the automaton), and
 * bounded repetitions whose counts multiply past 10000 ("(a{99}){99}"
 * nested). NULL when the pattern is fine, else why not. */
static const char *re_too_costly(const char *re)
{
    uint64_t product = 1;
    bool after_rep = false;

    for (const char *c = re; *c; c++) {
        if (*c == '\\') {
            if (c[1])
                c++;
            after_rep = false;
        } else if (*c == '[') {
            /* a bracket expression: "[]a]" and "[^]a]" hold a ']' */
            c++;
            if (*c == '^')
                c++;
            if (*c == ']')
                c++;
            while (*c && *c != ']') {
                if (*c == '[' && (c[1] == ':' || c[1] == '.' || c[1] == '=')) {
                    char close = c[1];

                    for (c += 2; *c && !(c[0] == close && c[1] == ']'); c++)
                        ;
                    if (*c)
                        c++;
                }
                if (*c)
                    c++;
            }
            if (!*c)
                return NULL; /* unterminated: regcomp says so */
            after_rep = false;
        } else if (*c == '*' || *c == '+' || *c == '?' || *c == '{') {
            if (after_rep)
                return "a repetition cannot follow another repetition";
            if (*c == '{') {
                unsigned long most = 0;

                for (c++; *c && *c != '}'; c++) {
                    if (*c >= '0' && *c <= '9') {
                        char *end;
                        unsigned long v = strtoul(c, &end, 10);

                        most = v > most ? v : most;
                        c = end - 1;
                    }
                }
                if (!*c)
                    return NULL; /* regcomp says what is wrong */
                if (most > 10000 || (product *= most ? most : 1) > 10000)
                    return "its repetition counts multiply to more than 10000";
            }
            after_rep = true;
        } else {
            after_rep = false;
        }
    }
    return NULL;
}

/* value := WORD | STRING, checked against what the field compares with. */
static int parse_value(parser *p, qnode *n, const char *what)
{
    char desc[96];
    size_t col = p->tok.col;
    int rc;

    if (p->tok.kind != T_WORD && p->tok.kind != T_STRING)
        return perr(p, DT_EINVAL, col, "expected a value after the operator, found %s",
                    tok_desc(&p->tok, desc, sizeof desc));
    n->lit = dt__strdup(p->tok.text);
    if (!n->lit)
        return DT_ENOMEM;
    n->lit_num = parse_number(n->lit, &n->num);
    if (n->op == OP_RE || n->op == OP_NRE) {
        const char *why;
        int err;

        if (n->field == F_NDIM || n->field == F_SIZE || n->field == F_DTYPE)
            return perr(p, DT_EINVAL, col, "%s cannot be matched with a regular expression",
                        what);
        why = re_too_costly(n->lit);
        if (why)
            return perr(p, DT_ELIMIT, col, "regular expression \"%.100s\": %s", n->lit, why);
        err = regcomp(&n->re, n->lit, REG_EXTENDED | REG_NOSUB);
        if (err) {
            char msg[256];

            regerror(err, &n->re, msg, sizeof msg);
            return perr(p, DT_EINVAL, col, "invalid regular expression \"%.100s\": %s",
                        n->lit, msg);
        }
        n->re_ok = true;
    } else if ((n->field == F_NDIM || n->field == F_SIZE) && !n->lit_num) {
        return perr(p, DT_EINVAL, col, "%s compares with a number, found %s", what,
                    tok_desc(&p->tok, desc, sizeof desc));
    } else if (n->field == F_DTYPE) {
        if (n->op != OP_EQ && n->op != OP_NE)
            return perr(p, DT_EINVAL, col, "dtype compares with == or != only");
        rc = add_type(p, n, n->lit, col);
        if (rc < 0)
            return rc;
    }
    return lex(p);
}

/* NAME '(' args ')' for dim, dtype, has and is. */
static int parse_call(parser *p, qnode **out)
{
    char fname[16], desc[96];
    size_t fcol = p->tok.col;
    qnode *n = NULL;
    int rc;

    snprintf(fname, sizeof fname, "%s", p->tok.text);
    if (strcmp(fname, "dim") == 0)
        n = new_node(Q_DIM);
    else if (strcmp(fname, "dtype") == 0)
        n = new_node(Q_DTYPE);
    else if (strcmp(fname, "has") == 0)
        n = new_node(Q_HAS);
    else if (strcmp(fname, "is") == 0)
        n = new_node(Q_IS);
    else
        return perr(p, DT_EINVAL, fcol, "unknown function \"%.60s\" (dim, dtype, has, is)",
                    p->tok.text);
    if (!n)
        return DT_ENOMEM;
    n->kind = strcmp(fname, "dim") == 0 ? Q_DIM : strcmp(fname, "dtype") == 0 ? Q_DTYPE :
              strcmp(fname, "has") == 0 ? Q_HAS : Q_IS;
    rc = lex(p); /* '(' */
    if (rc == DT_OK)
        rc = lex(p);
    while (rc == DT_OK) {
        size_t col = p->tok.col;
        const char *arg = p->tok.text;

        if (n->kind == Q_HAS ? p->tok.kind != T_ATTR && p->tok.kind != T_WORD &&
                               p->tok.kind != T_STRING
                             : p->tok.kind != T_WORD && p->tok.kind != T_STRING) {
            rc = perr(p, DT_EINVAL, col, "%s() expects %s, found %s", fname,
                      n->kind == Q_DIM ? "dimension names" :
                      n->kind == Q_DTYPE ? "type names" :
                      n->kind == Q_HAS ? "an attribute (@name)" :
                      "group, var, coord, index or data",
                      tok_desc(&p->tok, desc, sizeof desc));
            break;
        }
        if (n->kind == Q_DTYPE) {
            rc = add_type(p, n, arg, col);
        } else if (n->kind == Q_IS) {
            static const char *const kinds[] = {"group", "var", "coord", "index", "data"};
            size_t k = 0;

            if (n->nnames) {
                rc = perr(p, DT_EINVAL, col, "is() takes one argument");
                break;
            }
            while (k < 5 && strcmp(arg, kinds[k]) != 0)
                k++;
            if (k == 5 && strcmp(arg, "variable") == 0)
                k = IS_VAR;
            if (k == 5) {
                rc = perr(p, DT_EINVAL, col, "is() expects group, var, coord, index or "
                          "data, found \"%.60s\"", arg);
                break;
            }
            n->is = (qis)k;
            rc = add_name(n, arg);
        } else {
            if (n->kind == Q_HAS && n->nnames) {
                rc = perr(p, DT_EINVAL, col, "has() takes one attribute");
                break;
            }
            rc = add_name(n, arg);
        }
        if (rc == DT_OK)
            rc = lex(p);
        if (rc < 0)
            break;
        if (p->tok.kind == T_RPAREN) {
            rc = lex(p);
            if (rc < 0)
                break;
            *out = n;
            return DT_OK;
        }
        if (p->tok.kind != T_COMMA) {
            rc = perr(p, DT_EINVAL, p->tok.col, "expected ',' or ')' in %s(), found %s",
                      fname, tok_desc(&p->tok, desc, sizeof desc));
            break;
        }
        rc = lex(p);
    }
    qnode_free(n);
    return rc;
}

static int parse_primary(parser *p, qnode **out)
{
    static const struct {
        const char *name;
        qfield field;
    } fields[] = {
        {"ndim", F_NDIM}, {"size", F_SIZE}, {"name", F_NAME}, {"path", F_PATH},
        {"dtype", F_DTYPE},
    };
    char desc[96];
    qnode *n = NULL;
    int rc;

    *out = NULL;
    switch (p->tok.kind) {
    case T_LPAREN: {
        size_t col = p->tok.col;

        if (++p->depth > p->max_depth)
            return perr(p, DT_ELIMIT, col, "the query nests deeper than %u levels",
                        p->max_depth);
        rc = lex(p);
        if (rc == DT_OK)
            rc = parse_or(p, &n);
        if (rc == DT_OK && p->tok.kind != T_RPAREN)
            rc = perr(p, DT_EINVAL, p->tok.col, "expected ')' to close the '(' of column "
                      "%zu, found %s", col + 1, tok_desc(&p->tok, desc, sizeof desc));
        if (rc == DT_OK)
            rc = lex(p);
        p->depth--;
        if (rc < 0) {
            qnode_free(n);
            return rc;
        }
        *out = n;
        return DT_OK;
    }
    case T_ATTR:
        if (!next_is_op(p)) {
            /* @name alone: the attribute exists */
            n = new_node(Q_HAS);
            if (!n)
                return DT_ENOMEM;
            n->kind = Q_HAS;
            rc = add_name(n, p->tok.text);
            if (rc == DT_OK)
                rc = lex(p);
            if (rc < 0) {
                qnode_free(n);
                return rc;
            }
            *out = n;
            return DT_OK;
        }
        n = new_node(Q_CMP);
        if (!n)
            return DT_ENOMEM;
        n->kind = Q_CMP;
        n->field = F_ATTR;
        rc = add_name(n, p->tok.text);
        break;
    case T_WORD:
        if (is_word(&p->tok, "and") || is_word(&p->tok, "or"))
            return perr(p, DT_EINVAL, p->tok.col, "expected a test before '%s'",
                        p->tok.text);
        if (next_is(p, '('))
            return parse_call(p, out);
        if (next_is_op(p)) {
            size_t k = 0;

            while (k < sizeof fields / sizeof *fields &&
                   strcmp(p->tok.text, fields[k].name) != 0)
                k++;
            if (k == sizeof fields / sizeof *fields)
                return perr(p, DT_EINVAL, p->tok.col, "\"%.60s\" cannot be compared (ndim, "
                            "size, name, path, dtype or @attribute)", p->tok.text);
            n = new_node(Q_CMP);
            if (!n)
                return DT_ENOMEM;
            n->kind = Q_CMP;
            n->field = fields[k].field;
            rc = DT_OK;
            break;
        }
        /* any other word is a path glob */
        /* fall through */
    case T_STRING:
        if (!*p->tok.text)
            return perr(p, DT_EINVAL, p->tok.col, "an empty path pattern matches nothing");
        n = new_node(Q_GLOB);
        if (!n)
            return DT_ENOMEM;
        n->kind = Q_GLOB;
        rc = comps_split(&n->glob, p->tok.text, true);
        if (rc == DT_OK)
            rc = lex(p);
        if (rc < 0) {
            qnode_free(n);
            return rc;
        }
        *out = n;
        return DT_OK;
    default:
        return perr(p, DT_EINVAL, p->tok.col, "expected a test (a path, dim(...), "
                    "dtype(...), ndim, size, @attribute, has(...), is(...), not or '('), "
                    "found %s", tok_desc(&p->tok, desc, sizeof desc));
    }
    /* a comparison: FIELD OP VALUE */
    if (rc == DT_OK)
        rc = lex(p);
    if (rc == DT_OK) {
        char what[96];

        n->op = p->tok.op;
        snprintf(what, sizeof what, n->field == F_ATTR ? "@%.60s" : "%.60s",
                 n->field == F_ATTR ? n->names[0] : fields[n->field].name);
        rc = lex(p);
        if (rc == DT_OK)
            rc = parse_value(p, n, what);
    }
    if (rc < 0) {
        qnode_free(n);
        return rc;
    }
    *out = n;
    return DT_OK;
}

static int parse_unary(parser *p, qnode **out)
{
    qnode *n, *kid = NULL;
    size_t col = p->tok.col;
    int rc;

    if (!is_word(&p->tok, "not") || next_is_op(p))
        return parse_primary(p, out);
    if (++p->depth > p->max_depth)
        return perr(p, DT_ELIMIT, col, "the query nests deeper than %u levels",
                    p->max_depth);
    rc = lex(p);
    if (rc == DT_OK)
        rc = parse_unary(p, &kid);
    p->depth--;
    if (rc < 0)
        return rc;
    n = new_node(Q_NOT);
    if (!n || add_kid(n, kid) < 0) {
        qnode_free(kid);
        qnode_free(n);
        return DT_ENOMEM;
    }
    n->kind = Q_NOT;
    *out = n;
    return DT_OK;
}

/* and/or chains become one node with many children, so evaluating a long
 * chain does not recurse once per term. */
static int parse_chain(parser *p, qnode **out, const char *word, qkind kind,
                       int (*sub)(parser *, qnode **))
{
    qnode *first = NULL, *n = NULL, *kid = NULL;
    int rc = sub(p, &first);

    if (rc < 0)
        return rc;
    if (!is_word(&p->tok, word)) {
        *out = first;
        return DT_OK;
    }
    n = new_node(kind);
    if (!n || add_kid(n, first) < 0) {
        qnode_free(first);
        qnode_free(n);
        return DT_ENOMEM;
    }
    n->kind = kind;
    while (is_word(&p->tok, word)) {
        rc = lex(p);
        if (rc == DT_OK)
            rc = sub(p, &kid);
        if (rc == DT_OK && add_kid(n, kid) < 0) {
            qnode_free(kid);
            rc = DT_ENOMEM;
        }
        if (rc < 0) {
            qnode_free(n);
            return rc;
        }
    }
    *out = n;
    return DT_OK;
}

static int parse_and(parser *p, qnode **out)
{
    return parse_chain(p, out, "and", Q_AND, parse_unary);
}

static int parse_or(parser *p, qnode **out)
{
    return parse_chain(p, out, "or", Q_OR, parse_and);
}

int dt_query_compile(dt_query **out, const char *text, const dt_query_opts *opts)
{
    dt_query_opts def = DT_QUERY_OPTS_INIT;
    parser p;
    dt_query *q = NULL;
    qnode *root = NULL;
    char desc[96];
    int rc;

    if (!opts)
        opts = &def;
    if (opts->error_column)
        *opts->error_column = 0;
    if (!out || !text)
        return dt__fail(DT_EINVAL, "dt_query_compile: NULL argument");
    *out = NULL;
    if (opts->version != 1)
        return dt__fail(DT_EINVAL, "dt_query_opts version %u is not supported (1 is)",
                        opts->version);
    memset(&p, 0, sizeof p);
    p.src = text;
    p.max_depth = opts->limits.max_depth ? opts->limits.max_depth : 64;
    rc = lex(&p);
    if (rc == DT_OK && p.tok.kind == T_END)
        rc = perr(&p, DT_EINVAL, 0, "the query is empty");
    if (rc == DT_OK)
        rc = parse_or(&p, &root);
    if (rc == DT_OK && p.tok.kind == T_RPAREN)
        rc = perr(&p, DT_EINVAL, p.tok.col, "this ')' closes no '('");
    else if (rc == DT_OK && p.tok.kind != T_END)
        rc = perr(&p, DT_EINVAL, p.tok.col, "expected 'and', 'or' or the end of the "
                  "query, found %s", tok_desc(&p.tok, desc, sizeof desc));
    free(p.tok.text);
    if (rc == DT_OK) {
        q = dt__calloc(1, sizeof *q);
        if (q)
            q->text = dt__strdup(text);
        if (!q || !q->text) {
            free(q);
            q = NULL;
            rc = DT_ENOMEM;
        }
    }
    if (rc < 0) {
        qnode_free(root);
        if (opts->error_column)
            *opts->error_column = p.err_col;
        return rc;
    }
    q->root = root;
    *out = q;
    return DT_OK;
}

void dt_query_free(dt_query *q)
{
    if (!q)
        return;
    qnode_free(q->root);
    free(q->text);
    free(q);
}

const char *dt_query_text(const dt_query *q)
{
    return q ? q->text : NULL;
}

/* ---- evaluation ---- */

typedef struct obj {
    const dt_node *node;  /* the group, or the variable's group */
    const dt_var *var;    /* NULL for a group */
    comps path;           /* split on first use */
    bool have_path;
} obj;

static bool type_matches(const tmatch *m, dt_type t)
{
    uint32_t c = DT_TYPE_CLASS(t);
    bool sint = c == DT_INT8 || c == DT_INT16 || c == DT_INT32 || c == DT_INT64;
    bool uint = c == DT_UINT8 || c == DT_UINT16 || c == DT_UINT32 || c == DT_UINT64;
    bool flt = c == DT_FLOAT16 || c == DT_FLOAT32 || c == DT_FLOAT64;
    bool cpx = c == DT_COMPLEX64 || c == DT_COMPLEX128;

    switch (m->kind) {
    case TM_EXACT: return t == m->type;
    case TM_INT: return sint;
    case TM_UINT: return uint;
    case TM_INTEGER: return sint || uint;
    case TM_FLOAT: return flt;
    case TM_COMPLEX: return cpx;
    case TM_NUMBER: return sint || uint || flt || cpx;
    case TM_TEXT: return c == DT_STRING || c == DT_CHAR || c == DT_BYTES || c == DT_UNICODE;
    case TM_BYTES: return c == DT_BYTES;
    case TM_UNICODE: return c == DT_UNICODE;
    case TM_ENUM: return c == DT_ENUM;
    }
    return false;
}

static bool any_type(const qnode *n, dt_type t)
{
    for (size_t i = 0; i < n->ntypes; i++) {
        if (type_matches(&n->types[i], t))
            return true;
    }
    return false;
}

static bool cmp_num(qop op, double x, double y)
{
    switch (op) {
    case OP_EQ: return x == y || (isnan(x) && isnan(y));
    case OP_NE: return !(x == y || (isnan(x) && isnan(y)));
    case OP_LT: return x < y;
    case OP_LE: return x <= y;
    case OP_GT: return x > y;
    case OP_GE: return x >= y;
    default: return false;
    }
}

/* Text against the literal: ordering by bytes, or the regular expression. */
static bool cmp_text(const qnode *n, qop op, const char *s)
{
    int c;

    if (op == OP_RE || op == OP_NRE)
        return (regexec(&n->re, s, 0, NULL, 0) == 0) == (op == OP_RE);
    c = strcmp(s, n->lit);
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    case OP_GE: return c >= 0;
    default: return false;
    }
}

/* Does some value of the attribute satisfy `value op literal`? Numbers
 * compare with a literal that reads as a number; text compares as text;
 * the regular expression sees numbers in their shortest exact form. */
static int attr_any(const qnode *n, qop op, const dt_attr *a)
{
    dt_type t = dt_attr_type(a);
    uint32_t c = DT_TYPE_CLASS(t);
    size_t len = dt_attr_len(a);
    const void *v = dt_attr_data(a);

    if (c == DT_CHAR || c == DT_JSON) {
        char *s;
        bool r;

        if (c == DT_JSON)
            return cmp_text(n, op, (const char *)v);
        while (len > 0 && ((const char *)v)[len - 1] == '\0')
            len--;
        s = dt__strndup(v, len);
        if (!s)
            return DT_ENOMEM;
        r = cmp_text(n, op, s);
        free(s);
        return r;
    }
    if (c == DT_STRING) {
        for (size_t i = 0; i < len; i++) {
            const char *s = ((char *const *)v)[i];

            if (cmp_text(n, op, s ? s : ""))
                return 1;
        }
        return 0;
    }
    if (!dt__type_is_numeric(t) || c == DT_COMPLEX64 || c == DT_COMPLEX128)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (op == OP_RE || op == OP_NRE) {
            char text[64];

            if (dt_value_format(text, sizeof text, c == DT_ENUM ? DT_TYPE_PARAM(t) : t,
                                (const char *)v + i * dt_type_size(t)) < 0)
                return dt_error_last()->code;
            if (cmp_text(n, op, text))
                return 1;
        } else if (n->lit_num && cmp_num(op, dt__elem_as_double(v, t, i), n->num)) {
            return 1;
        }
    }
    return 0;
}

static const dt_attrs *obj_attrs(const obj *o)
{
    return o->var ? dt_var_attrs(o->var) : dt_node_attrs(o->node);
}

static int eval_cmp(const qnode *n, obj *o)
{
    switch (n->field) {
    case F_NDIM:
        return o->var ? cmp_num(n->op, (double)dt_var_ndim(o->var), n->num) : 0;
    case F_SIZE: {
        uint64_t ne;

        if (!o->var)
            return 0;
        if (dt_var_nelems(&ne, o->var) < 0) {
            dt_error_clear();
            ne = UINT64_MAX;
        }
        return cmp_num(n->op, (double)ne, n->num);
    }
    case F_DTYPE:
        return o->var ? any_type(n, dt_var_type(o->var)) == (n->op == OP_EQ) : 0;
    case F_NAME:
        return cmp_text(n, n->op, o->var ? dt_var_name(o->var) : dt_node_name(o->node));
    case F_PATH: {
        char *path = NULL;
        int rc = o->var ? dt_var_path(&path, o->var) : dt_node_path(&path, o->node);
        bool r;

        if (rc < 0)
            return rc;
        r = cmp_text(n, n->op, path);
        free(path);
        return r;
    }
    case F_ATTR: {
        const dt_attr *a = dt_attrs_find(obj_attrs(o), n->names[0]);
        int r;

        if (!a)
            return 0;  /* a missing attribute satisfies no comparison */
        if (n->op == OP_NE || n->op == OP_NRE) {
            r = attr_any(n, n->op == OP_NE ? OP_EQ : OP_RE, a);
            return r < 0 ? r : !r;
        }
        return attr_any(n, n->op, a);
    }
    }
    return 0;
}

static int eval(const qnode *n, obj *o)
{
    int r;

    switch (n->kind) {
    case Q_AND:
    case Q_OR:
        for (size_t i = 0; i < n->nkids; i++) {
            r = eval(n->kids[i], o);
            if (r < 0)
                return r;
            if ((r != 0) == (n->kind == Q_OR))
                return r;
        }
        return n->kind == Q_AND;
    case Q_NOT:
        r = eval(n->kids[0], o);
        return r < 0 ? r : !r;
    case Q_GLOB:
        if (!o->have_path) {
            char *path = NULL;

            r = o->var ? dt_var_path(&path, o->var) : dt_node_path(&path, o->node);
            if (r < 0)
                return r;
            r = comps_split(&o->path, path, false);
            free(path);
            if (r < 0)
                return r;
            o->have_path = true;
        }
        return comps_match(&n->glob, &o->path);
    case Q_DIM:
        for (size_t i = 0; i < n->nnames; i++) {
            bool found = false;

            if (o->var) {
                for (size_t d = 0; d < dt_var_ndim(o->var) && !found; d++)
                    found = strcmp(dt_var_dim(o->var, d), n->names[i]) == 0;
            } else {
                for (size_t d = 0; d < dt_node_dim_count(o->node) && !found; d++) {
                    dt_dim_info di;

                    found = dt_node_dim(&di, o->node, d) == DT_OK &&
                            strcmp(di.name, n->names[i]) == 0;
                }
            }
            if (!found)
                return 0;
        }
        return 1;
    case Q_DTYPE:
        return o->var && any_type(n, dt_var_type(o->var));
    case Q_HAS:
        return dt_attrs_find(obj_attrs(o), n->names[0]) != NULL;
    case Q_IS:
        switch (n->is) {
        case IS_GROUP: return o->var == NULL;
        case IS_VAR: return o->var != NULL;
        case IS_COORD: return o->var && dt_var_is_coord(o->var);
        case IS_INDEX: return o->var && dt_var_is_index(o->var);
        case IS_DATA: return o->var && !dt_var_is_coord(o->var);
        }
        return 0;
    case Q_CMP:
        return eval_cmp(n, o);
    }
    return 0;
}

static int match(const dt_query *q, const dt_node *node, const dt_var *var)
{
    obj o;
    int r;

    memset(&o, 0, sizeof o);
    o.node = node;
    o.var = var;
    r = eval(q->root, &o);
    comps_free(&o.path);
    return r;
}

int dt_query_match_node(const dt_query *q, const dt_node *node)
{
    int rc;

    if (!q || !node)
        return dt__fail(DT_EINVAL, "dt_query_match_node: NULL argument");
    rc = dt_node_load(node);
    return rc < 0 ? rc : match(q, node, NULL);
}

int dt_query_match_var(const dt_query *q, const dt_var *var)
{
    if (!q || !var)
        return dt__fail(DT_EINVAL, "dt_query_match_var: NULL argument");
    return match(q, dt_var_node(var), var);
}

static int run(const dt_query *q, const dt_node *n, dt_query_fn fn, void *ud)
{
    int r = dt_query_match_node(q, n);

    if (r > 0)
        r = fn(n, NULL, ud);
    if (r != 0)
        return r;
    for (size_t i = 0; i < dt_node_var_count(n); i++) {
        const dt_var *v = dt_node_var(n, i);

        r = match(q, n, v);
        if (r > 0)
            r = fn(n, v, ud);
        if (r != 0)
            return r;
    }
    for (size_t i = 0; i < dt_node_child_count(n); i++) {
        r = run(q, dt_node_child(n, i), fn, ud);
        if (r != 0)
            return r;
    }
    return DT_OK;
}

int dt_query_run(const dt_query *q, const dt_node *start, dt_query_fn fn, void *ud)
{
    if (!q || !start || !fn)
        return dt__fail(DT_EINVAL, "dt_query_run: NULL argument");
    return run(q, start, fn, ud);
}
