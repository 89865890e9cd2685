"""libdedup from Python: near-duplicate and same-story clustering of text.

A ctypes binding over the shared C library (standard library only)::

    import dedup
    c = dedup.Corpus()
    c.add("a.txt", open("a.txt", "rb").read())
    c.add("b.txt", "some text ...")
    c.run()
    c.clusters()                 # [['a.txt', 'b.txt']] or [['a.txt'], ['b.txt']]
    c.labels()                   # cluster of each document, in the order added

    m = dedup.MinHash(128)       # datasketch-like MinHash and MinHashLSH
    m.update("word")             # one token; ints are already-hashed elements
    lsh = dedup.LSH(threshold=0.5, num_perm=128)
    lsh.insert("doc-1", m)
    lsh.query(m)                 # ['doc-1']

Threads: every object (Corpus, MinHash, SimHash, LSH) holds a lock
(threading.RLock) taken around each call into its C handle, so one object
may be shared by threads; calls on one object run one at a time (the
library itself allows one thread at a time per handle).  Different objects
run in parallel: ctypes releases the GIL during C calls.

Arguments are checked before they reach C: an integer outside its C type
(item ids, seeds, k, 64-bit hashes) raises ValueError, IndexError (item
ids) or TypeError (not an integer), never wraps; names and paths holding a
NUL character raise ValueError.  Library errors raise DedupError (.status
is the dedup_status code); its subclasses DedupValueError, DedupIndexError
and DedupOSError are also ValueError, IndexError and OSError (with errno,
strerror and filename for an I/O error).

The library is found through $DEDUP_LIBRARY (a path to libdedup.so), then
a build directory of the source tree this package sits in
(build*/lib/libdedup.so), then the library installed with this package
(the libdir meson wrote into dedup/_config.py), then the dynamic linker's
search (libdedup.so.1 through LD_LIBRARY_PATH, ld.so.cache, ...), then
ctypes.util.find_library("dedup").
"""

import array
import ctypes
import collections
import ctypes.util
import datetime as _dt
import errno as _errno
import glob
import json
import operator
import os
import tempfile
import threading

__all__ = [
    "Corpus", "Index", "Assignment", "DocInfo", "JournalInfo", "DedupError",
    "DedupValueError", "DedupIndexError", "DedupOSError", "DedupExistsError",
    "DedupNotFoundError", "DedupLockedError", "MinHash", "SimHash", "LSH",
    "normalise", "shingles",
    "char_shingles", "hash_token", "scores", "version", "library_path",
]

# Status codes (dedup.h, dedup_status).
OK, ENOMEM, EINVAL, EIO, EEMPTY, EBINARY = 0, -1, -2, -3, -4, -5
EFORMAT, EVERSION, ESTATE, ETOOBIG = -6, -7, -8, -9
ENOTFOUND, ECANCELED, EEXIST, ELOCKED = -10, -11, -12, -13

_LEVELS = {"story": 0, "copy": 1}
_METHODS = {"minhash": 0, "simhash": 1}
_KINDS = {"oph": 0, "classic": 1}
_F_NO_CLEAN, _F_SPLIT_EMBEDDED, _F_NO_LANGID = 1, 2, 8
_RUN_COPY, _RUN_ALL = 1, 3
_PARAMS_VERSION, _RUN_OPTIONS_VERSION, _DOC_META_VERSION = 2, 1, 2

_U32_MAX = 2 ** 32 - 1
_U64_MAX = 2 ** 64 - 1
_SIZE_MAX = 2 ** (8 * ctypes.sizeof(ctypes.c_size_t)) - 1


def _loadable(build_dir):
    """False for a sanitizer build unless its runtime is preloaded: such a
    library cannot be loaded into a plain interpreter."""
    info = os.path.join(build_dir, "meson-info", "intro-buildoptions.json")
    try:
        with open(info) as f:
            opts = json.load(f)
    except (OSError, ValueError):
        return True
    san = next((o.get("value") for o in opts if o.get("name") ==
                "b_sanitize"), "none")
    return san == "none" or "san" in os.environ.get("LD_PRELOAD", "")


def _find_library():
    env = os.environ.get("DEDUP_LIBRARY")
    if env:
        return env
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    if os.path.exists(os.path.join(root, "include", "dedup.h")):
        # A source checkout: the most recently built library in it.
        built = [p for p in glob.glob(os.path.join(root, "build*", "lib",
                                                   "libdedup.so"))
                 if os.path.exists(p)
                 and _loadable(os.path.dirname(os.path.dirname(p)))]
        if built:
            return max(built, key=os.path.getmtime)
    try:  # written by meson at configure time, installed with the module
        from . import _config
        libdir = _config.LIBDIR
    except (ImportError, AttributeError):
        libdir = None
    if libdir:
        for name in ("libdedup.so.1", "libdedup.so"):
            if os.path.exists(os.path.join(libdir, name)):
                return os.path.join(libdir, name)
    try:  # the dynamic linker's search (LD_LIBRARY_PATH, ld.so.cache)
        ctypes.CDLL("libdedup.so.1")
        return "libdedup.so.1"
    except OSError:
        pass
    found = ctypes.util.find_library("dedup")
    if found:
        return found
    raise OSError("libdedup not found: build it (meson setup build && "
                  "ninja -C build), install it, or set DEDUP_LIBRARY")


library_path = _find_library()
# use_errno: ctypes keeps a copy of errno per thread around each call, so
# the errno of a failed save or load is still there to report.
_lib = ctypes.CDLL(library_path, use_errno=True)

_c_size_p = ctypes.POINTER(ctypes.c_size_t)
_c_u64_p = ctypes.POINTER(ctypes.c_uint64)


# ---- dedup_params and dedup_run_options, the one place their layout is
#
# They are plain C structs, so ctypes must mirror them (version 1 of each,
# first field the version).  The library reads a struct by its version,
# so a newer library still takes these; dedup_params_init() fills the
# defaults and fields are then set by name.  Threads and levels are run
# options: never saved with a corpus.
class _Params(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("shingle_k", ctypes.c_uint),
        ("num_perm", ctypes.c_uint),
        ("threshold", ctypes.c_double),
        ("story_threshold", ctypes.c_double),
        ("method", ctypes.c_int),
        ("minhash_kind", ctypes.c_int),
        ("seed", ctypes.c_uint64),
        ("flags", ctypes.c_uint),
        ("story_days", ctypes.c_double),  # version 2
    ]


class _DocMeta(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("title", ctypes.c_char_p),
        ("title_len", ctypes.c_size_t),
        ("has_date", ctypes.c_int),
        ("date", ctypes.c_int64),
        ("lang", ctypes.c_char_p),  # version 2
    ]


class _RunOptions(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("threads", ctypes.c_uint),
        ("levels", ctypes.c_uint),
        ("progress", ctypes.c_void_p),
        ("progress_ctx", ctypes.c_void_p),
    ]


def _make_params(shingle_k, num_perm, threshold, story_threshold, method,
                 minhash_kind, seed, flags, story_days=0.0):
    p = _Params()
    _check(_params_init(ctypes.byref(p), _PARAMS_VERSION), "params")
    p.shingle_k, p.num_perm = shingle_k, num_perm
    p.threshold, p.story_threshold = threshold, story_threshold
    p.method, p.minhash_kind, p.seed = method, minhash_kind, seed
    p.flags = flags
    p.story_days = story_days
    return p


class _Scores(ctypes.Structure):
    _fields_ = [(n, ctypes.c_double) for n in (
        "pair_precision", "pair_recall", "pair_f1", "bcubed_precision",
        "bcubed_recall", "bcubed_f1")] + [
        (n, ctypes.c_size_t) for n in (
            "true_pairs", "predicted_pairs", "correct_pairs")]


class _Term(ctypes.Structure):
    _fields_ = [("word", ctypes.c_char_p), ("weight_a", ctypes.c_double),
                ("weight_b", ctypes.c_double),
                ("contribution", ctypes.c_double)]


class _Passage(ctypes.Structure):
    _fields_ = [("text", ctypes.c_char_p), ("words", ctypes.c_size_t)]


class _Explanation(ctypes.Structure):
    _fields_ = [
        ("a", ctypes.c_size_t), ("b", ctypes.c_size_t),
        ("words_a", ctypes.c_size_t), ("words_b", ctypes.c_size_t),
        ("method", ctypes.c_int),
        ("copy_similarity", ctypes.c_double),
        ("copy_threshold", ctypes.c_double),
        ("minhash_jaccard", ctypes.c_double),
        ("simhash_similarity", ctypes.c_double),
        ("simhash_distance", ctypes.c_uint),
        ("minhash_threshold", ctypes.c_double),
        ("simhash_threshold", ctypes.c_double),
        ("jaccard", ctypes.c_double),
        ("shingles_a", ctypes.c_size_t), ("shingles_b", ctypes.c_size_t),
        ("shingles_shared", ctypes.c_size_t),
        ("same_copy_group", ctypes.c_int), ("copy_linked", ctypes.c_int),
        ("passages", ctypes.POINTER(_Passage)),
        ("n_passages", ctypes.c_size_t),
        ("story_computed", ctypes.c_int),
        ("story_threshold", ctypes.c_double),
        ("story_cosine", ctypes.c_double),
        ("rep_a", ctypes.c_size_t), ("rep_b", ctypes.c_size_t),
        ("same_story", ctypes.c_int),
        ("terms", ctypes.POINTER(_Term)), ("n_terms", ctypes.c_size_t),
        ("story_time_factor", ctypes.c_double),
        ("lang_a", ctypes.c_char_p), ("lang_b", ctypes.c_char_p),  # 0.3
    ]


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_vp, _cp = ctypes.c_void_p, ctypes.c_char_p
_version = _fn("dedup_version_string", _cp)
_strerror = _fn("dedup_strerror", _cp, ctypes.c_int)
_free = _fn("dedup_free", None, _vp)
_normalise = _fn("dedup_normalise", ctypes.c_int,
                 ctypes.POINTER(_vp), _c_size_p, _cp, ctypes.c_size_t,
                 _c_size_p)
_shingles = _fn("dedup_shingles", ctypes.c_int, ctypes.POINTER(_vp),
                _c_size_p, _cp, ctypes.c_size_t, ctypes.c_uint,
                ctypes.c_uint64)
_char_shingles = _fn("dedup_char_shingles", ctypes.c_int,
                     ctypes.POINTER(_vp), _c_size_p, _cp, ctypes.c_size_t,
                     ctypes.c_uint, ctypes.c_uint64)
_mh_new = _fn("dedup_minhash_new", ctypes.c_int, ctypes.POINTER(_vp),
              ctypes.c_uint, ctypes.c_int)
_mh_free = _fn("dedup_minhash_free", None, _vp)
_mh_reset = _fn("dedup_minhash_reset", None, _vp, ctypes.c_uint64)
_mh_update = _fn("dedup_minhash_update", None, _vp, _c_u64_p,
                 ctypes.c_size_t)
_mh_digest = _fn("dedup_minhash_digest", None, _vp, _c_u64_p)
_mh_jaccard = _fn("dedup_minhash_jaccard", ctypes.c_double, _c_u64_p,
                  _c_u64_p, ctypes.c_uint)
_sh_new = _fn("dedup_simhash_new", ctypes.c_int, ctypes.POINTER(_vp))
_sh_free = _fn("dedup_simhash_free", None, _vp)
_sh_reset = _fn("dedup_simhash_reset", None, _vp, ctypes.c_uint64)
_sh_update = _fn("dedup_simhash_update", None, _vp, _c_u64_p,
                 ctypes.POINTER(ctypes.c_double), ctypes.c_size_t)
_sh_digest = _fn("dedup_simhash_digest", ctypes.c_uint64, _vp)
_sh_distance = _fn("dedup_simhash_distance", ctypes.c_uint, ctypes.c_uint64,
                   ctypes.c_uint64)
_params_init = _fn("dedup_params_init", ctypes.c_int, ctypes.POINTER(_Params),
                   ctypes.c_uint)
_c_new = _fn("dedup_corpus_new", ctypes.c_int, ctypes.POINTER(_vp),
             ctypes.POINTER(_Params))
_c_free = _fn("dedup_corpus_free", None, _vp)
_c_add = _fn("dedup_corpus_add", ctypes.c_int, _vp, _cp, _cp,
             ctypes.c_size_t, _c_size_p)
_c_run = _fn("dedup_corpus_run_with", ctypes.c_int, _vp,
             ctypes.POINTER(_RunOptions))
_c_items = _fn("dedup_corpus_item_count", ctypes.c_size_t, _vp)
_c_name = _fn("dedup_corpus_item_name", _cp, _vp, ctypes.c_size_t)
_c_item_lang = _fn("dedup_corpus_item_lang", _cp, _vp, ctypes.c_size_t)
_c_lang_code = _fn("dedup_lang_code", _cp, _cp)
_c_nclusters = _fn("dedup_corpus_cluster_count", ctypes.c_size_t, _vp,
                   ctypes.c_int)
_c_members = _fn("dedup_corpus_cluster_members", _c_size_p, _vp,
                 ctypes.c_int, ctypes.c_size_t, _c_size_p)
_c_cluster_of = _fn("dedup_corpus_cluster_of", ctypes.c_size_t, _vp,
                    ctypes.c_int, ctypes.c_size_t)
_c_nlinks = _fn("dedup_corpus_link_count", ctypes.c_size_t, _vp,
                ctypes.c_int)
_c_link = _fn("dedup_corpus_link", ctypes.c_int, _vp, ctypes.c_int,
              ctypes.c_size_t, _c_size_p, _c_size_p,
              ctypes.POINTER(ctypes.c_double))
_c_explain = _fn("dedup_corpus_explain", ctypes.c_int,
                 ctypes.POINTER(ctypes.POINTER(_Explanation)), _vp,
                 ctypes.c_size_t, ctypes.c_size_t)
_x_free = _fn("dedup_explanation_free", None, ctypes.POINTER(_Explanation))
_c_find = _fn("dedup_corpus_item_find", ctypes.c_int, _vp, _cp, _c_size_p)
_c_add_doc = _fn("dedup_corpus_add_doc", ctypes.c_int, _vp, _cp, _cp,
                 ctypes.c_size_t, ctypes.POINTER(_DocMeta), _c_size_p)
_date_parse = _fn("dedup_date_parse", ctypes.c_int, _cp, ctypes.c_size_t,
                  ctypes.POINTER(ctypes.c_int64))


def _date(d):
    """Unix seconds from an int/float, a datetime (naive: UTC) or a date
    string (the library's dedup_date_parse)."""
    if isinstance(d, bool):
        raise TypeError("a date is Unix seconds or a string, not bool")
    if isinstance(d, _dt.datetime):
        if d.tzinfo is None:
            d = d.replace(tzinfo=_dt.timezone.utc)
        return int(d.timestamp() // 1)
    if isinstance(d, _dt.date):  # a day: its midnight, UTC
        return int(_dt.datetime(d.year, d.month, d.day,
                                tzinfo=_dt.timezone.utc).timestamp())
    if isinstance(d, (int, float)):
        if d != d or abs(d) > 2 ** 62:
            raise ValueError("date out of range: %r" % (d,))
        return int(d)
    b = _bytes(d)
    out = ctypes.c_int64()
    if _date_parse(b, len(b), ctypes.byref(out)) != OK:
        raise ValueError("not a date dedup reads: %r" % (d,))
    return out.value


def _meta(title, date, lang):
    """A dedup_doc_meta for title, date and lang, or None when none is
    given (the struct keeps no reference: its bytes are held by the
    returned object's fields)."""
    if title is None and date is None and lang is None:
        return None
    meta = _DocMeta(_DOC_META_VERSION, None, 0, 0, 0, None)
    if lang is not None:
        if not isinstance(lang, str) or \
                _c_lang_code(lang.encode("ascii", "replace")) is None:
            raise ValueError("unknown language: %r" % (lang,))
        meta.lang = lang.encode("ascii")
    if title is not None:
        t = _bytes(title)
        meta.title, meta.title_len = t, len(t)
    if date is not None:
        meta.has_date, meta.date = 1, _date(date)
    return meta


_c_item_text = _fn("dedup_corpus_item_text", ctypes.c_int,
                   ctypes.POINTER(ctypes.c_void_p), _c_size_p, _vp,
                   ctypes.c_size_t)
_eval = _fn("dedup_eval_scores", ctypes.c_int, ctypes.POINTER(_Scores),
            _c_size_p, _c_size_p, ctypes.c_size_t)
try:  # saving and loading arrived with the index format
    _c_save = _fn("dedup_corpus_save", ctypes.c_int, _vp, _cp)
    _c_load = _fn("dedup_corpus_load", ctypes.c_int, ctypes.POINTER(_vp),
                  _cp)
except AttributeError:  # pragma: no cover - an older library
    _c_save = _c_load = None
try:  # the LSH index, and remove with it
    _lsh_new = _fn("dedup_lsh_new", ctypes.c_int, ctypes.POINTER(_vp),
                   ctypes.c_double, ctypes.c_uint)
    _lsh_free = _fn("dedup_lsh_free", None, _vp)
    _lsh_shape = _fn("dedup_lsh_shape", None, _vp,
                     ctypes.POINTER(ctypes.c_uint),
                     ctypes.POINTER(ctypes.c_uint))
    _lsh_insert = _fn("dedup_lsh_insert", ctypes.c_int, _vp,
                      ctypes.c_uint32, _c_u64_p)
    _lsh_remove = _fn("dedup_lsh_remove", ctypes.c_int, _vp,
                      ctypes.c_uint32, _c_u64_p)
    _lsh_query = _fn("dedup_lsh_query", ctypes.c_int, _vp, _c_u64_p,
                     ctypes.POINTER(ctypes.POINTER(ctypes.c_uint32)),
                     _c_size_p)
except AttributeError:  # pragma: no cover - an older library
    _lsh_new = None
try:
    _hash_bytes = _fn("dedup_hash_bytes", ctypes.c_uint64, _cp,
                      ctypes.c_size_t, ctypes.c_uint64)
except AttributeError:  # pragma: no cover - an older library
    _hash_bytes = None



# ---- errors ---------------------------------------------------------------

class DedupError(Exception):
    """A libdedup call failed; .status is the dedup_status code."""

    def __init__(self, status, what=""):
        self.status = status
        msg = _strerror(status).decode()
        super().__init__("%s: %s" % (what, msg) if what else msg)


class DedupValueError(DedupError, ValueError):
    """A parameter out of range (status EINVAL)."""


class DedupIndexError(DedupError, IndexError):
    """An item id out of range (status EINVAL)."""

    def __init__(self, what):
        self.status = EINVAL
        IndexError.__init__(self, what)


class DedupOSError(DedupError, OSError):
    """Reading or writing a file failed (status EIO): .errno, .strerror
    and .filename as for any OSError (errno is the C library's, e.g.
    ENOENT or ENOSPC), .status the dedup_status.  Raised as the matching
    OSError subclass too (FileNotFoundError for ENOENT, ...)."""

    def __init__(self, status, err, path):
        OSError.__init__(self, err, os.strerror(err), path)
        self.status = status


_os_errors = {}


def _os_error(status, err, path):
    """A DedupOSError that is also the OSError subclass Python itself
    picks for err (OSError(ENOENT, ...) is a FileNotFoundError)."""
    base = type(OSError(err, ""))
    if base is OSError:
        return DedupOSError(status, err, path)
    cls = _os_errors.get(base)
    if cls is None:
        cls = _os_errors[base] = type("DedupOSError", (DedupOSError, base),
                                      {"__module__": __name__})
    return cls(status, err, path)


class _ChoiceError(KeyError, ValueError):
    """An unknown name for a choice (method="nope"); a KeyError as before,
    and a ValueError as a bad argument."""

    def __str__(self):
        return str(self.args[0])


class _KeyError(KeyError, ValueError):
    """LSH.remove() of a key not in the index (datasketch raises
    ValueError; a dict-like index raises KeyError: this is both)."""


class DedupExistsError(DedupError, KeyError):
    """Index.add() of an id the index holds already (status EEXIST); a
    KeyError too."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class DedupNotFoundError(DedupError, KeyError):
    """An id the index does not hold (status ENOTFOUND); a KeyError too."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class DedupLockedError(DedupError):
    """Another writer, in this process or another, holds the index file's
    lock (status ELOCKED): open it read_only=True, or wait."""


def _check(status, what=""):
    if status != OK:
        if status == ENOMEM:
            raise MemoryError(_strerror(status).decode())
        if status == EINVAL:
            raise DedupValueError(status, what)
        if status == EEXIST:
            raise DedupExistsError(status, what)
        if status == ENOTFOUND:
            raise DedupNotFoundError(status, what)
        if status == ELOCKED:
            raise DedupLockedError(status, what)
        raise DedupError(status, what)


def _check_io(status, path):
    """As _check, but DEDUP_EIO becomes an OSError with the call's errno
    (ctypes' copy of it, taken right after the call)."""
    if status == EIO:
        err = ctypes.get_errno() or _errno.EIO
        raise _os_error(status, err, os.fspath(path))
    _check(status, str(path))


# ---- argument checks ------------------------------------------------------

def _int(x, what, lo, hi):
    """x as a Python int in lo..hi: TypeError for a non-integer (floats
    included), ValueError outside the range; never wrapped."""
    try:
        v = operator.index(x)
    except TypeError:
        raise TypeError("%s must be an integer, not %s"
                        % (what, type(x).__name__)) from None
    if not lo <= v <= hi:
        raise ValueError("%s must be in %d..%s, got %d"
                         % (what, lo, "2**64-1" if hi == _U64_MAX else
                            "2**32-1" if hi == _U32_MAX else hi, v))
    return v


def _u64(x, what):
    return _int(x, what, 0, _U64_MAX)


def _uint(x, what):
    return _int(x, what, 0, _U32_MAX)


def _real(x, what):
    if isinstance(x, (str, bytes)):
        raise TypeError("%s must be a number, not %s"
                        % (what, type(x).__name__))
    try:
        return float(x)
    except TypeError:
        raise TypeError("%s must be a number, not %s"
                        % (what, type(x).__name__)) from None


def _choice(table, value, what):
    try:
        return table[value]
    except (KeyError, TypeError):
        raise _ChoiceError("%s must be one of %s, not %r"
                           % (what, ", ".join(map(repr, table)), value)) \
            from None


def _bytes(text):
    if isinstance(text, str):
        return text.encode("utf-8", "surrogateescape")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError("text must be str or bytes, not %s" % type(text).__name__)


def _cstr(s, what):
    """A name or path for a C string: NUL ends a C string, so a NUL inside
    would cut it silently; refused instead."""
    b = os.fsencode(s) if not isinstance(s, (bytes, bytearray)) else bytes(s)
    if b"\0" in b:
        raise ValueError("%s contains a NUL character: %r" % (what, s))
    return b


def _name(name):
    if not isinstance(name, (str, bytes, bytearray)):
        raise TypeError("name must be str or bytes, not %s"
                        % type(name).__name__)
    b = _bytes(name)
    if b"\0" in b:
        raise ValueError("document name contains a NUL character: %r"
                         % (name,))
    return b


def _str(b):
    return b.decode("utf-8", "surrogateescape")


def _ptr(arr):
    """A uint64_t * to an array('Q') (which must outlive the call)."""
    return ctypes.cast(arr.buffer_info()[0], _c_u64_p)


def hash_token(token, seed=0):
    """The 64-bit hash of one token (str, encoded as UTF-8, or bytes), as
    MinHash.update() and SimHash.update() make it: seeded XXH3 of the raw
    bytes (dedup_hash_bytes), not normalised (so "Word" != "word"), not
    split at spaces, and not what shingles(token, 1) gives."""
    if _hash_bytes is None:  # pragma: no cover - an older library
        raise NotImplementedError("this libdedup has no dedup_hash_bytes")
    if not isinstance(token, (str, bytes, bytearray, memoryview)):
        raise TypeError("token must be str or bytes, not %s"
                        % type(token).__name__)
    b = _bytes(token)
    return _hash_bytes(b, len(b), _u64(seed, "seed"))


def _element(x, i=None):
    if isinstance(x, (str, bytes, bytearray)):
        return hash_token(x)
    what = "element" if i is None else "element %d" % i
    if isinstance(x, float):
        raise TypeError("%s must be an int (a 64-bit hash), str or bytes, "
                        "not float" % what)
    try:
        return _u64(x, what)
    except TypeError:
        raise TypeError("%s must be an int (a 64-bit hash), str or bytes, "
                        "not %s" % (what, type(x).__name__)) from None


def _elements(x):
    """Set elements as an array('Q'): a str or bytes is ONE token (hashed
    by hash_token); an int is one already-hashed element (0 <= x < 2**64);
    any other iterable holds such tokens and ints."""
    if isinstance(x, (str, bytes, bytearray)):
        return array.array("Q", [hash_token(x)])
    if isinstance(x, memoryview) and x.format in ("B", "b", "c"):
        return array.array("Q", [hash_token(x)])
    try:
        return array.array("Q", [_u64(x, "element")])
    except TypeError:
        pass
    try:
        items = list(x)
    except TypeError:
        raise TypeError("elements must be an int, str, bytes or an "
                        "iterable of them, not %s" % type(x).__name__) \
            from None
    try:  # fast path: all ints in range
        return array.array("Q", items)
    except (TypeError, OverflowError, ValueError):
        return array.array("Q", [_element(v, i) for i, v in enumerate(items)])


def _signature(sig, k=None):
    """A signature (MinHash, or a sequence/buffer of 64-bit words) as an
    array('Q'), checked."""
    if isinstance(sig, MinHash):
        a = sig.digest()
    elif isinstance(sig, (str, bytes, bytearray)):
        raise TypeError("a signature is a MinHash or 64-bit words, not %s"
                        % type(sig).__name__)
    else:
        try:
            a = array.array("Q", sig)
        except (TypeError, OverflowError, ValueError):
            a = array.array("Q", [_u64(v, "signature word %d" % i)
                                  for i, v in enumerate(sig)])
    if k is not None and len(a) != k:
        raise ValueError("signature of %d words where %d are expected"
                         % (len(a), k))
    if len(a) == 0:
        raise ValueError("empty signature")
    return a


def version():
    """The library's version string, e.g. '0.1.0'."""
    return _version().decode()


def normalise(text):
    """Text as every libdedup stage sees it: NFKC, case-folded, quotes,
    dashes and spaces folded, invalid UTF-8 replaced by U+FFFD."""
    data = _bytes(text)
    out, n = _vp(), ctypes.c_size_t()
    _check(_normalise(ctypes.byref(out), ctypes.byref(n), data, len(data),
                      None))
    try:
        return ctypes.string_at(out, n.value).decode("utf-8")
    finally:
        _free(out)


def shingles(text, k=5, seed=0):
    """The word k-shingles of a text as 64-bit hashes, in text order.
    k: 1..2**32-1 (0 is DedupValueError), seed: 0..2**64-1."""
    data = _bytes(text)
    k, seed = _uint(k, "k"), _u64(seed, "seed")
    out, n = _vp(), ctypes.c_size_t()
    _check(_shingles(ctypes.byref(out), ctypes.byref(n), data, len(data), k,
                     seed), "shingles")
    try:
        return list(ctypes.cast(out, _c_u64_p)[:n.value])
    finally:
        _free(out)


def char_shingles(text, n=4, seed=0):
    """The character n-grams of a normalised text as 64-bit hashes."""
    data = _bytes(text)
    n, seed = _uint(n, "n"), _u64(seed, "seed")
    out, cnt = _vp(), ctypes.c_size_t()
    _check(_char_shingles(ctypes.byref(out), ctypes.byref(cnt), data,
                          len(data), n, seed), "char_shingles")
    try:
        return list(ctypes.cast(out, _c_u64_p)[:cnt.value])
    finally:
        _free(out)


# ---- MinHash ----------------------------------------------------------------

class MinHash:
    """Streaming MinHash of a set (dedup_minhash), datasketch-like.

    MinHash(k=128, kind="oph", seed=0); num_perm= is another name for k.

    update() takes a str or bytes as ONE token (hashed by hash_token():
    seeded XXH3 of its raw bytes, no normalisation, no split at spaces -
    datasketch's update(b"word") adds one token too), an int as one
    already-hashed 64-bit element (0 <= x < 2**64, e.g. from shingles()),
    or an iterable of tokens and ints.  Integers out of range raise
    ValueError; other types TypeError.

    digest() and .hashvalues are array.array('Q') (the buffer protocol:
    numpy.frombuffer(m.digest(), dtype=numpy.uint64) needs no copy).

    Pickling keeps k, kind, seed and the signature, not the set: a copy
    gives the same digest(), jaccard() and LSH results, but cannot be
    updated further (update() raises ValueError) until reset().

    Thread-safe: each call holds the object's lock.
    """

    def __init__(self, k=128, kind="oph", seed=0, num_perm=None):
        if num_perm is not None:
            k = num_perm
        k = _uint(k, "k")
        kind_id = _choice(_KINDS, kind, "kind")
        seed = _u64(seed, "seed")
        self._lock = threading.RLock()
        self._frozen = None  # the signature of a pickled copy
        self._h = _vp()
        _check(_mh_new(ctypes.byref(self._h), k, kind_id), "MinHash")
        self.k, self.kind, self.seed = k, kind, seed
        _mh_reset(self._h, seed)

    @property
    def num_perm(self):
        return self.k

    def __len__(self):
        return self.k

    def reset(self, seed=None):
        """Empties the set; seed (0..2**64-1) is kept unless given."""
        seed = self.seed if seed is None else _u64(seed, "seed")
        with self._lock:
            _mh_reset(self._h, seed)
            self.seed, self._frozen = seed, None

    def update(self, elements):
        """Adds one token (str/bytes), one hash (int) or an iterable of
        them; returns self."""
        arr = _elements(elements)
        with self._lock:
            if self._frozen is not None:
                raise ValueError("this MinHash was restored from its "
                                 "signature (pickled); its set is not "
                                 "kept, so it cannot be updated")
            if len(arr):  # an empty array's buffer may be NULL
                _mh_update(self._h, _ptr(arr), len(arr))
        return self

    update_batch = update

    def digest(self):
        """The k-word signature, an array.array('Q') (a new copy)."""
        with self._lock:
            if self._frozen is not None:
                return array.array("Q", self._frozen)
            sig = array.array("Q", bytes(8 * self.k))
            _mh_digest(self._h, _ptr(sig))
            return sig

    @property
    def hashvalues(self):
        """The signature as array.array('Q'), as digest()."""
        return self.digest()

    def _compatible(self, other):
        if (other.k, other.kind, other.seed) != (self.k, self.kind,
                                                 self.seed):
            raise ValueError("MinHashes of other k, kind or seed: (%d, %s, "
                             "%d) and (%d, %s, %d)" % (
                                 self.k, self.kind, self.seed, other.k,
                                 other.kind, other.seed))

    def jaccard(self, other):
        """Estimated Jaccard similarity with another MinHash (same k, kind
        and seed, else ValueError) or a signature."""
        if isinstance(other, MinHash):
            self._compatible(other)
        return MinHash.estimate(self.digest(), other)

    @staticmethod
    def estimate(sig_a, sig_b):
        """Estimated Jaccard of two signatures (MinHash, array('Q'),
        sequences of ints) of one length: the share of equal words."""
        a = _signature(sig_a)
        b = _signature(sig_b)
        if len(a) != len(b):
            raise ValueError("signatures of different lengths")
        if len(a) > _U32_MAX:
            raise ValueError("signature too long")
        return _mh_jaccard(_ptr(a), _ptr(b), len(a))

    def __eq__(self, other):
        if not isinstance(other, MinHash):
            return NotImplemented
        return ((self.k, self.kind, self.seed) ==
                (other.k, other.kind, other.seed) and
                self.digest() == other.digest())

    __hash__ = None

    def __reduce__(self):
        return (_minhash_restore, (self.k, self.kind, self.seed,
                                   self.digest().tobytes()))

    def __del__(self):
        if getattr(self, "_h", None):
            _mh_free(self._h)
            self._h = None


def _minhash_restore(k, kind, seed, sig):
    m = MinHash(k, kind, seed)
    frozen = array.array("Q")
    frozen.frombytes(sig)
    if len(frozen) != k:
        raise ValueError("pickled MinHash: %d words, k is %d"
                         % (len(frozen), k))
    m._frozen = frozen
    return m


# ---- SimHash ----------------------------------------------------------------

class SimHash:
    """Streaming 64-bit SimHash of weighted features (dedup_simhash).

    Features are as MinHash.update()'s elements: a str or bytes is one
    token, an int an already-hashed 64-bit feature (0 <= x < 2**64), or an
    iterable of them; weights are numbers, one per feature.  Thread-safe:
    each call holds the object's lock.  Not picklable (its 64 counters are
    not exposed): pickle digest() instead.
    """

    def __init__(self, seed=0):
        seed = _u64(seed, "seed")
        self._lock = threading.RLock()
        self._h = _vp()
        _check(_sh_new(ctypes.byref(self._h)), "SimHash")
        self.seed = seed
        _sh_reset(self._h, seed)

    def reset(self, seed=None):
        seed = self.seed if seed is None else _u64(seed, "seed")
        with self._lock:
            _sh_reset(self._h, seed)
            self.seed = seed

    def update(self, features, weights=None):
        arr = _elements(features)
        n = len(arr)
        w = None
        if weights is not None:
            if isinstance(weights, (str, bytes)):
                raise TypeError("weights must be numbers")
            weights = [_real(x, "weight") for x in weights]
            if len(weights) != n:
                raise ValueError("one weight per feature")
            w = (ctypes.c_double * max(n, 1))(*weights)
        with self._lock:
            if n:  # an empty array's buffer may be NULL
                _sh_update(self._h, _ptr(arr), w, n)
        return self

    def digest(self):
        with self._lock:
            return _sh_digest(self._h)

    @staticmethod
    def distance(a, b):
        return _sh_distance(_u64(a, "fingerprint"), _u64(b, "fingerprint"))

    def __reduce__(self):
        raise TypeError("SimHash cannot be pickled (its state is not "
                        "exposed); pickle its digest()")

    def __del__(self):
        if getattr(self, "_h", None):
            _sh_free(self._h)
            self._h = None


# ---- LSH --------------------------------------------------------------------

class LSH:
    """Banded LSH index over MinHash signatures, as datasketch's
    MinHashLSH: LSH(threshold=0.9, num_perm=128).

    Bands and rows (.b, .r) are chosen from the threshold as datasketch
    does (equal false positive and negative weights).  Keys are any
    hashable (and, to pickle the index, picklable) values, one signature
    each: insert(key, m) of a key already there raises ValueError;
    query(m) gives the keys sharing a band with m (candidates, not
    verified: check m.jaccard() if that matters); remove(key) takes it out
    for good (dedup_lsh_remove: nothing is rebuilt); `key in lsh`, len().
    A MinHash argument must have num_perm words; all of one index should
    share k, kind and seed (checked against the first one inserted).

    The index keeps each key's signature (8 * num_perm bytes) to remove it
    and to pickle: a pickled index is rebuilt from its keys and signatures
    and answers queries as the original did.  Thread-safe: each call holds
    the index's lock.
    """

    def __init__(self, threshold=0.9, num_perm=128):
        if _lsh_new is None:  # pragma: no cover - an older library
            raise NotImplementedError("this libdedup has no LSH index")
        threshold = _real(threshold, "threshold")
        num_perm = _uint(num_perm, "num_perm")
        self._lock = threading.RLock()
        self._h = _vp()
        _check(_lsh_new(ctypes.byref(self._h), threshold, num_perm),
               "LSH(threshold=%r, num_perm=%d): threshold must be in "
               "(0, 1), num_perm 1..4096" % (threshold, num_perm))
        self.threshold, self.num_perm = threshold, num_perm
        b, r = ctypes.c_uint(), ctypes.c_uint()
        _lsh_shape(self._h, ctypes.byref(b), ctypes.byref(r))
        self.b, self.r = b.value, r.value
        self._keys = {}      # key -> (id, signature)
        self._key_of = {}    # id -> key
        self._free_ids = []  # ids of removed keys, reused
        self._next_id = 0
        self._mh = None      # (kind, seed) of the first MinHash inserted

    def _sig(self, minhash):
        if isinstance(minhash, MinHash):
            if len(minhash) != self.num_perm:
                raise ValueError("MinHash of %d words in an index of "
                                 "num_perm=%d" % (len(minhash),
                                                  self.num_perm))
            if self._mh is not None and (minhash.kind,
                                         minhash.seed) != self._mh:
                raise ValueError("MinHash kind/seed %r differ from the "
                                 "index's %r" % ((minhash.kind,
                                                  minhash.seed), self._mh))
        return _signature(minhash, self.num_perm)

    def insert(self, key, minhash, check_duplication=True):
        """Adds key with minhash's signature (a MinHash or num_perm
        64-bit words).  Keys are unique: an existing key raises ValueError
        (check_duplication is accepted for datasketch's sake; the check is
        always made)."""
        sig = self._sig(minhash)
        hash(key)
        with self._lock:
            if key in self._keys:
                raise ValueError("the key %r is already in the index"
                                 % (key,))
            if self._free_ids:
                i = self._free_ids[-1]
            elif self._next_id <= _U32_MAX:
                i = self._next_id
            else:
                raise OverflowError("2**32 keys in one index")
            _check(_lsh_insert(self._h, i, _ptr(sig)), "LSH.insert")
            if self._free_ids:
                self._free_ids.pop()
            else:
                self._next_id += 1
            self._keys[key] = (i, sig)
            self._key_of[i] = key
            if self._mh is None and isinstance(minhash, MinHash):
                self._mh = (minhash.kind, minhash.seed)

    def query(self, minhash):
        """The keys whose signatures share at least one band with
        minhash's, in the order of their internal ids (insertion order
        until a remove frees an id for reuse)."""
        sig = self._sig(minhash)
        ids = ctypes.POINTER(ctypes.c_uint32)()
        n = ctypes.c_size_t()
        with self._lock:
            _check(_lsh_query(self._h, _ptr(sig), ctypes.byref(ids),
                              ctypes.byref(n)), "LSH.query")
            try:
                return [self._key_of[ids[j]] for j in range(n.value)]
            finally:
                _free(ctypes.cast(ids, _vp))

    def remove(self, key):
        """Takes key out: no later query returns it.  A key not in the
        index raises KeyError (which is also a ValueError, as
        datasketch's)."""
        with self._lock:
            try:
                i, sig = self._keys[key]
            except KeyError:
                raise _KeyError(key) from None
            _check(_lsh_remove(self._h, i, _ptr(sig)), "LSH.remove")
            del self._keys[key]
            del self._key_of[i]
            self._free_ids.append(i)

    def __contains__(self, key):
        with self._lock:
            return key in self._keys

    def __len__(self):
        with self._lock:
            return len(self._keys)

    def is_empty(self):
        return len(self) == 0

    def keys(self):
        """The keys, in insertion order."""
        with self._lock:
            return list(self._keys)

    def __reduce__(self):
        with self._lock:
            items = [(k, sig.tobytes()) for k, (_, sig) in
                     self._keys.items()]
            return (_lsh_restore, (self.threshold, self.num_perm, items,
                                   self._mh))

    def __del__(self):
        if getattr(self, "_h", None):
            _lsh_free(self._h)
            self._h = None


def _lsh_restore(threshold, num_perm, items, mh):
    lsh = LSH(threshold, num_perm)
    for key, raw in items:
        sig = array.array("Q")
        sig.frombytes(raw)
        lsh.insert(key, sig)
    lsh._mh = mh
    return lsh


# ---- evaluation -------------------------------------------------------------

def scores(pred, truth):
    """Pairwise and B-cubed precision/recall/F1 of predicted cluster labels
    against true ones (any hashable labels; equal label, same cluster)."""
    if len(pred) != len(truth):
        raise ValueError("pred and truth differ in length")
    ids = {}
    p = [ids.setdefault(("p", x), len(ids)) for x in pred]
    t = [ids.setdefault(("t", x), len(ids)) for x in truth]
    n = len(p)
    pa = (ctypes.c_size_t * max(n, 1))(*p)
    ta = (ctypes.c_size_t * max(n, 1))(*t)
    out = _Scores()
    _check(_eval(ctypes.byref(out), pa, ta, n), "scores")
    return {name: getattr(out, name) for name, _ in _Scores._fields_}


# ---- Corpus -----------------------------------------------------------------

class Corpus:
    """Documents in, clusters out (dedup_corpus).

    Parameters are those of dedup_params; 0 or None means the library's
    default (threshold: 0.5 for MinHash, 0.9 for SimHash).  Integers are
    range-checked (seed 0..2**64-1; shingle_k, num_perm, threads
    0..2**32-1, the library checks their real bounds).

    Thread-safe: every call into the C corpus holds the object's lock
    (threading.RLock), so threads may add documents to one corpus
    concurrently; the calls run one at a time.

    Items are numbered in name order after a run (as the library does);
    labels() gives them in the order the documents were added.  Document
    names are str or bytes without NUL characters (a C string would end
    there; ValueError); documents may share a name, but then labels()
    cannot tell them apart (see there).

    Pickling saves the corpus to a temporary index file
    (dedup_corpus_save) and keeps its bytes, the order documents were
    added in and the thread count; unpickling loads it and, if the corpus
    had been run, runs it again: the same documents give the same
    clusters, so results are equal.
    """

    def __init__(self, shingle_k=0, num_perm=0, threshold=0.0,
                 story_threshold=0.0, method="minhash", minhash_kind="oph",
                 seed=0, threads=0, no_clean=False, split_embedded=False,
                 copy_only=False, story_days=0.0, no_langid=False,
                 _handle=None):
        self._lock = threading.RLock()
        self._c = _vp()
        self._order = []      # names (bytes) of the documents added
        self._loaded = False  # came from load(): earlier order unknown
        self._ran = False
        self._threads = _uint(threads, "threads")
        self._copy_only = bool(copy_only)
        if _handle is not None:
            self._c = _handle
            self._loaded = True
            return
        p = _make_params(
            _uint(shingle_k, "shingle_k"), _uint(num_perm, "num_perm"),
            _real(threshold or 0.0, "threshold"),
            _real(story_threshold or 0.0, "story_threshold"),
            _choice(_METHODS, method, "method"),
            _choice(_KINDS, minhash_kind, "minhash_kind"),
            _u64(seed, "seed"),
            (_F_NO_CLEAN if no_clean else 0) |
            (_F_SPLIT_EMBEDDED if split_embedded else 0) |
            (_F_NO_LANGID if no_langid else 0),
            _real(story_days or 0.0, "story_days") if story_days != "off"
            else -1.0)
        _check(_c_new(ctypes.byref(self._c), ctypes.byref(p)), "Corpus")

    @classmethod
    def load(cls, path):
        """A corpus saved by save(): its parameters and documents.  An
        unreadable file raises DedupOSError (an OSError with errno), a
        corrupt one DedupError (EFORMAT, EVERSION).  The order the saved
        documents were added in is not in the file: labels() of a loaded
        corpus needs order="item" (a pickled corpus keeps its order)."""
        if _c_load is None:
            raise NotImplementedError("this libdedup cannot load")
        raw = _cstr(path, "path")
        h = _vp()
        ctypes.set_errno(0)
        _check_io(_c_load(ctypes.byref(h), raw), path)
        return cls(_handle=h)

    def save(self, path):
        """Saves the documents and parameters (dedup_corpus_save, atomic).
        A failed write raises DedupOSError with the C errno."""
        if _c_save is None:
            raise NotImplementedError("this libdedup cannot save")
        raw = _cstr(path, "path")
        with self._lock:
            ctypes.set_errno(0)
            _check_io(_c_save(self._handle(), raw), path)

    def _handle(self):
        if not self._c:
            raise ValueError("the corpus is closed")
        return self._c

    def add(self, name, text, title=None, date=None, lang=None):
        """Adds a document (name and text: str or bytes).  Returns False
        when it is skipped because it holds no words or looks binary (the
        corpus is unchanged then), True when added.

        title (str or bytes) is the document's title, used as the title
        instead of one the page cleaner would guess; date is its
        publication time: Unix seconds (int or float) or a string that
        dedup_date_parse reads (ISO 8601 date or date-time, or Unix
        seconds).  A date string it cannot read raises ValueError.
        lang (str) is its language ("de", "deu", "german"); None: identified
        from the text.  A language the library does not know raises
        ValueError."""
        data = _bytes(text)
        raw = _name(name)
        meta = _meta(title, date, lang)
        with self._lock:
            rc = _c_add_doc(self._handle(), raw, data, len(data),
                            ctypes.byref(meta) if meta else None, None)
            if rc in (EEMPTY, EBINARY):
                return False
            _check(rc, str(name))
            self._order.append(raw)
            self._ran = False
            return True

    def run(self):
        """Clusters every document added so far (both levels)."""
        with self._lock:
            o = _RunOptions(_RUN_OPTIONS_VERSION, self._threads or 0,
                            _RUN_COPY if self._copy_only else _RUN_ALL,
                            None, None)
            _check(_c_run(self._handle(), ctypes.byref(o)), "run")
            self._ran = True
        return self

    def __len__(self):
        with self._lock:
            return _c_items(self._handle())

    def items(self):
        """Item names in id order (names sort; embedded articles are
        NAME#2, ... with split_embedded)."""
        with self._lock:
            c = self._handle()
            return [_str(_c_name(c, i)) for i in range(_c_items(c))]

    def _id(self, item):
        """An item id from an id (int) or a name (str or bytes)."""
        if isinstance(item, (str, bytes, bytearray)):
            i = ctypes.c_size_t()
            rc = _c_find(self._handle(), _cstr(_bytes(item), "name"),
                         ctypes.byref(i))
            if rc == ENOTFOUND:
                raise KeyError(item)
            _check(rc, "item")
            return i.value
        try:
            i = operator.index(item)
        except TypeError:
            raise TypeError("an item is an id (int) or a name (str or "
                            "bytes), not %s" % type(item).__name__) from None
        if not 0 <= i <= _SIZE_MAX:  # the library checks the upper end
            raise DedupIndexError("item %d out of range" % i)
        return i

    def clusters(self, level="story", min_size=1):
        """Clusters as lists of item names, largest first."""
        lv = _choice(_LEVELS, level, "level")
        min_size = _int(min_size, "min_size", 0, _SIZE_MAX)
        with self._lock:
            c = self._handle()
            out = []
            n = ctypes.c_size_t()
            for k in range(_c_nclusters(c, lv)):
                m = _c_members(c, lv, k, ctypes.byref(n))
                if n.value >= min_size:
                    out.append([_str(_c_name(c, m[i]))
                                for i in range(n.value)])
            return out

    def labels(self, level="story", order="added"):
        """The cluster id of each document at a level, after a run.

        order="added" (the default): one label per document, in the order
        add() added them (the library renumbers items by name; the binding
        maps them back by name).  Documents sharing a name get the labels
        of the items of that name in item order.  A corpus from load() has
        no such order for the documents in its file (DedupError ESTATE).

        order="item": one label per item, in item id order (embedded
        articles too, with split_embedded), as items() lists them.
        """
        lv = _choice(_LEVELS, level, "level")
        if order not in ("added", "item"):
            raise ValueError("order must be 'added' or 'item', not %r"
                             % (order,))
        with self._lock:
            c = self._handle()
            n = _c_items(c)
            if order == "item":
                return [_c_cluster_of(c, lv, i) for i in range(n)]
            if not self._ran and self._order:
                raise DedupError(ESTATE, "labels: run() first")
            if self._loaded:
                raise DedupError(ESTATE, "labels: a loaded corpus does not "
                                 "know the order its documents were added "
                                 "in; use order='item'")
            by_name = {}
            for i in range(n):
                by_name.setdefault(_c_name(c, i), []).append(i)
            out = []
            for name in self._order:
                ids = by_name.get(name)
                out.append(_c_cluster_of(c, lv, ids.pop(0)) if ids else None)
            return out

    def links(self, level="story"):
        """Verified links inside clusters: (name_a, name_b, similarity)."""
        lv = _choice(_LEVELS, level, "level")
        with self._lock:
            c = self._handle()
            a, b = ctypes.c_size_t(), ctypes.c_size_t()
            s = ctypes.c_double()
            out = []
            for i in range(_c_nlinks(c, lv)):
                _check(_c_link(c, lv, i, ctypes.byref(a), ctypes.byref(b),
                               ctypes.byref(s)), "links")
                out.append((_str(_c_name(c, a.value)),
                            _str(_c_name(c, b.value)), s.value))
            return out

    def item_lang(self, item):
        """The language of an item (a name or an id) after run(): an ISO
        639-1 code, "und" when its text does not tell."""
        with self._lock:
            c = self._handle()
            if not self._ran and not self._loaded:
                raise DedupError(ESTATE, "item_lang: run() first")
            i = self._id(item)
            v = _c_item_lang(c, i)
            if v is None:
                raise DedupIndexError("item %d out of range" % i)
            return _str(v)

    def item_text(self, item):
        """The text the run kept of an item (a name or an id) after page
        cleaning: its title line, then its body lines (dedup_corpus_item_text).
        """
        with self._lock:
            c = self._handle()
            i = self._id(item)
            p, n = ctypes.c_void_p(), ctypes.c_size_t()
            rc = _c_item_text(ctypes.byref(p), ctypes.byref(n), c, i)
            if rc == EINVAL:
                raise DedupIndexError("item %d out of range" % i)
            _check(rc, "item_text")
            try:
                return _str(ctypes.string_at(p.value, n.value))
            finally:
                _free(p)

    def explain(self, a, b):
        """Why items a and b (names or ids) are or are not in one cluster:
        a dict with the copy-level and story-level numbers (see
        dedup_explanation in dedup.h).  An id out of range raises
        DedupIndexError (an IndexError and a DedupError with EINVAL), a
        name not there KeyError."""
        with self._lock:
            c = self._handle()
            ia, ib = self._id(a), self._id(b)
            p = ctypes.POINTER(_Explanation)()
            rc = _c_explain(ctypes.byref(p), c, ia, ib)
            if rc == EINVAL:
                raise DedupIndexError("explain(%d, %d): items are 0..%d"
                                      % (ia, ib, _c_items(c) - 1))
            _check(rc, "explain")
            try:
                return self._explanation(c, p.contents)
            finally:
                _x_free(p)

    @staticmethod
    def _explanation(c, e):
        name = lambda i: _str(_c_name(c, i))  # noqa: E731
        copy = {
            "method": "minhash" if e.method == 0 else "simhash",
            "similarity": e.copy_similarity,
            "threshold": e.copy_threshold,
            "same_group": bool(e.same_copy_group),
            "linked": bool(e.copy_linked),
            "minhash_jaccard": e.minhash_jaccard,
            "minhash_threshold": e.minhash_threshold,
            "simhash_similarity": e.simhash_similarity,
            "simhash_distance": e.simhash_distance,
            "simhash_threshold": e.simhash_threshold,
            "jaccard": e.jaccard,
            "shingles_a": e.shingles_a, "shingles_b": e.shingles_b,
            "shingles_shared": e.shingles_shared,
            "passages": [(e.passages[i].words, _str(e.passages[i].text))
                         for i in range(e.n_passages)],
        }
        story = None
        if e.story_computed:
            story = {
                "cosine": e.story_cosine,
                "threshold": e.story_threshold,
                "same_story": bool(e.same_story),
                "representatives": (name(e.rep_a), name(e.rep_b)),
                "terms": [(_str(e.terms[i].word), e.terms[i].weight_a,
                           e.terms[i].weight_b, e.terms[i].contribution)
                          for i in range(e.n_terms)],
            }
        return {"a": name(e.a), "b": name(e.b), "words_a": e.words_a,
                "words_b": e.words_b, "lang_a": _str(e.lang_a),
                "lang_b": _str(e.lang_b), "copy": copy, "story": story}

    # Pickling: the index file's bytes plus what the file does not hold.
    def __getstate__(self):
        with self._lock:
            self._handle()
            with tempfile.TemporaryDirectory(prefix="dedup-pickle-") as d:
                path = os.path.join(d, "corpus.idx")
                self.save(path)
                with open(path, "rb") as f:
                    index = f.read()
            return {"format": 1, "index": index, "order": list(self._order),
                    "loaded": self._loaded, "ran": self._ran,
                    "threads": self._threads, "copy_only": self._copy_only}

    def __setstate__(self, state):
        if state.get("format") != 1:
            raise ValueError("a pickled Corpus of another format")
        self._lock = threading.RLock()
        self._c = _vp()
        with tempfile.TemporaryDirectory(prefix="dedup-pickle-") as d:
            path = os.path.join(d, "corpus.idx")
            with open(path, "wb") as f:
                f.write(state["index"])
            ctypes.set_errno(0)
            _check_io(_c_load(ctypes.byref(self._c), _cstr(path, "path")),
                      path)
        self._order = list(state["order"])
        self._loaded = state["loaded"]
        self._threads = state["threads"]
        self._copy_only = state.get("copy_only", False)
        self._ran = False
        if state["ran"]:
            self.run()

    def close(self):
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            if getattr(self, "_c", None):
                _c_free(self._c)
                self._c = _vp()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


# ---- Index: the service index -----------------------------------------------

_INDEX_KEEP_TEXTS, _INDEX_READ_ONLY = 1, 2
_ADD_REPLACE, _ADD_DEFER = 1, 2
_ASSIGNMENT_VERSION, _ASSIGNMENT_MERGES = 1, 8


class _Assignment(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("copy_id", ctypes.c_uint64),
        ("story_id", ctypes.c_uint64),
        ("copy_joined", ctypes.c_int),
        ("story_joined", ctypes.c_int),
        ("copy_sim", ctypes.c_double),
        ("story_sim", ctypes.c_double),
        ("n_copy_merged", ctypes.c_size_t),
        ("copy_merged", ctypes.c_uint64 * _ASSIGNMENT_MERGES),
        ("n_story_merged", ctypes.c_size_t),
        ("story_merged", ctypes.c_uint64 * _ASSIGNMENT_MERGES),
    ]


class _DocInfo(ctypes.Structure):
    _fields_ = [
        ("id", ctypes.c_char_p),
        ("copy_id", ctypes.c_uint64),
        ("story_id", ctypes.c_uint64),
        ("has_date", ctypes.c_int),
        ("date", ctypes.c_int64),
        ("lang", ctypes.c_char_p),
    ]


Assignment = collections.namedtuple("Assignment", [
    "copy_id", "story_id", "copy_joined", "story_joined", "copy_sim",
    "story_sim", "copy_merged", "story_merged"])
Assignment.__doc__ = """What Index.add() gave a document (or Index.query()
would give it): copy_id and story_id (query: 0 for a group or story it
would start), copy_joined / story_joined (bool: joined an existing one),
copy_sim (best verified copy similarity, 0 without a copy), story_sim
(best story average cosine found), copy_merged / story_merged (lists of
the ids merged into copy_id / story_id by this document, ascending; at
most 8 are listed, as the C struct holds: n_copy_merged may be larger)."""

DocInfo = collections.namedtuple("DocInfo", [
    "id", "copy_id", "story_id", "date", "lang"])
DocInfo.__doc__ = """One indexed document: id (str), copy_id and story_id
(0 while deferred), date (Unix seconds, None without one), lang (ISO 639-1
code, "und" when not told)."""

_ix_new = _ix_free = None
try:  # the service index (0.4)
    _ix_new = _fn("dedup_index_new", ctypes.c_int, ctypes.POINTER(_vp),
                  ctypes.POINTER(_Params), ctypes.c_uint)
    _ix_free = _fn("dedup_index_free", None, _vp)
    _ix_add = _fn("dedup_index_add", ctypes.c_int, _vp, _cp, _cp,
                  ctypes.c_size_t, ctypes.POINTER(_DocMeta), ctypes.c_uint,
                  ctypes.POINTER(_Assignment))
    _ix_query = _fn("dedup_index_query", ctypes.c_int, _vp, _cp,
                    ctypes.c_size_t, ctypes.POINTER(_DocMeta),
                    ctypes.POINTER(_Assignment))
    _ix_remove = _fn("dedup_index_remove", ctypes.c_int, _vp, _cp)
    _ix_expire = _fn("dedup_index_expire", ctypes.c_int, _vp,
                     ctypes.c_int64, _c_size_p)
    _ix_count = _fn("dedup_index_doc_count", ctypes.c_size_t, _vp)
    _ix_doc = _fn("dedup_index_doc", ctypes.c_int, _vp, ctypes.c_size_t,
                  ctypes.POINTER(_DocInfo))
    _ix_lookup = _fn("dedup_index_lookup", ctypes.c_int, _vp, _cp,
                     ctypes.POINTER(_DocInfo))
    _ix_params = _fn("dedup_index_params", ctypes.c_int, _vp,
                     ctypes.POINTER(_Params), ctypes.c_uint)
    _ix_keeps_texts = _fn("dedup_index_keeps_texts", ctypes.c_int, _vp)
except AttributeError:  # pragma: no cover - a library before 0.4
    _ix_new = None


def _optional(name, restype, *argtypes):
    """A function that may not be in this library yet (None then)."""
    try:
        return _fn(name, restype, *argtypes)
    except AttributeError:
        return None


_ix_open = _optional("dedup_index_open", ctypes.c_int, ctypes.POINTER(_vp),
                     _cp, ctypes.c_uint)
_ix_save = _optional("dedup_index_save", ctypes.c_int, _vp, _cp)
_ix_merge_count = _optional("dedup_index_merge_count", ctypes.c_size_t, _vp)
_ix_merge = _optional("dedup_index_merge", ctypes.c_int, _vp,
                      ctypes.c_size_t, ctypes.POINTER(ctypes.c_int),
                      _c_u64_p, _c_u64_p)
_ix_resolve = _optional("dedup_index_resolve", ctypes.c_int, _vp,
                        ctypes.c_int, ctypes.c_uint64, _c_u64_p)
_ix_rebuild = _optional("dedup_index_rebuild", ctypes.c_int, _vp,
                        ctypes.POINTER(_RunOptions))


class _JournalInfo(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("ops", ctypes.c_size_t),
        ("bytes", ctypes.c_uint64),
        ("unsaved", ctypes.c_size_t),
        ("ignored", ctypes.c_uint64),
        ("appends", ctypes.c_int),
    ]


_JOURNAL_INFO_VERSION = 1
_ix_compact = _optional("dedup_index_compact", ctypes.c_int, _vp)  # 0.6
_ix_journal = _optional("dedup_index_journal", ctypes.c_int, _vp,
                        ctypes.POINTER(_JournalInfo))

JournalInfo = collections.namedtuple("JournalInfo", [
    "ops", "bytes", "unsaved", "ignored", "appends"])
JournalInfo.__doc__ = """The journal of an index's own file (Index.journal):
ops and bytes in PATH.journal, unsaved operations since the last save,
ignored bytes after its last complete save that open left out (a save cut
short), appends (bool: the next save appends rather than writing the file
whole)."""

_LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}
_METHOD_NAMES = {v: k for k, v in _METHODS.items()}
_KIND_NAMES = {v: k for k, v in _KINDS.items()}


class _RWLock:
    """Many readers or one writer (the C index allows exactly that).  Not
    reentrant; a waiting writer holds back new readers, so a stream of
    queries cannot starve adds."""

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._waiting = 0

    def read(self):
        return _Held(self, False)

    def write(self):
        return _Held(self, True)

    def acquire(self, write):
        with self._cond:
            if write:
                self._waiting += 1
                try:
                    while self._writer or self._readers:
                        self._cond.wait()
                finally:
                    self._waiting -= 1
                self._writer = True
            else:
                while self._writer or self._waiting:
                    self._cond.wait()
                self._readers += 1

    def release(self, write):
        with self._cond:
            if write:
                self._writer = False
            else:
                self._readers -= 1
            self._cond.notify_all()


class _Held:
    __slots__ = ("_lock", "_write")

    def __init__(self, lock, write):
        self._lock, self._write = lock, write

    def __enter__(self):
        self._lock.acquire(self._write)

    def __exit__(self, *exc):
        self._lock.release(self._write)


def _assignment(a):
    return Assignment(
        a.copy_id, a.story_id, bool(a.copy_joined), bool(a.story_joined),
        a.copy_sim, a.story_sim,
        list(a.copy_merged[:min(a.n_copy_merged, _ASSIGNMENT_MERGES)]),
        list(a.story_merged[:min(a.n_story_merged, _ASSIGNMENT_MERGES)]))


def _docinfo(d):
    return DocInfo(_str(d.id), d.copy_id, d.story_id,
                   d.date if d.has_date else None, _str(d.lang))


class Index:
    """A persistent service index (dedup_index): articles are added one at
    a time and each gets its copy group and story at once, with ids that
    keep their meaning (copy and story ids are positive, given in order,
    never reused; a merge keeps the older id and is listed by merges()).

    Index(shingle_k=0, num_perm=0, threshold=0.0, story_threshold=0.0,
    method="minhash", minhash_kind="oph", seed=0, no_clean=False,
    story_days=0.0, no_langid=False, threads=0, keep_texts=False): the
    parameters as Corpus takes them (0: the library's default); threads
    is rebuild()'s default thread count (0: all cores); keep_texts keeps
    every text (rebuild() needs them; saved with the index).
    Index.open(path, read_only=False) opens a saved index.

    add(id, text, ...) -> Assignment; query(text, ...) -> Assignment
    (adds nothing); remove(id); expire(before) -> count; rebuild();
    save(path=None); lookup(id) -> DocInfo; `id in ix`, len(ix), docs(),
    merges(), resolve(level, id); params, keeps_texts; close() or `with`.

    Errors: an id already indexed raises DedupExistsError, an id not there
    DedupNotFoundError (both KeyError and DedupError); a text with no
    words or a binary one DedupValueError (status EEMPTY or EBINARY; the
    index is unchanged); an index file another writer holds
    DedupLockedError; a write to a read-only index DedupError (ESTATE);
    failed file I/O DedupOSError.

    Threads, as the C library states it: one writer (add, remove, expire,
    rebuild, save, close) at a time and no reader while it writes; any
    number of concurrent readers (query, lookup, docs, len, in, merges,
    resolve, params) otherwise.  The object holds a readers-writer lock
    that enforces exactly that, so it may be shared by threads: queries
    run in parallel (ctypes releases the GIL in C calls), a write waits
    for them and holds new ones back.  Between processes, a writer holds
    the lock of the index file (PATH.lock) until close().
    """

    def __init__(self, shingle_k=0, num_perm=0, threshold=0.0,
                 story_threshold=0.0, method="minhash", minhash_kind="oph",
                 seed=0, no_clean=False, story_days=0.0, no_langid=False,
                 threads=0, keep_texts=False, _handle=None):
        if _ix_new is None:  # pragma: no cover - a library before 0.4
            raise NotImplementedError("this libdedup has no service index")
        self._rw = _RWLock()
        self._c = _vp()
        self._changes = 0  # writes so far: docs() notices them
        self._threads = _uint(threads, "threads")
        self.path = None
        if _handle is not None:
            self._c = _handle
            return
        p = _make_params(
            _uint(shingle_k, "shingle_k"), _uint(num_perm, "num_perm"),
            _real(threshold or 0.0, "threshold"),
            _real(story_threshold or 0.0, "story_threshold"),
            _choice(_METHODS, method, "method"),
            _choice(_KINDS, minhash_kind, "minhash_kind"),
            _u64(seed, "seed"),
            (_F_NO_CLEAN if no_clean else 0) |
            (_F_NO_LANGID if no_langid else 0),
            _real(story_days or 0.0, "story_days") if story_days != "off"
            else -1.0)
        _check(_ix_new(ctypes.byref(self._c), ctypes.byref(p),
                       _INDEX_KEEP_TEXTS if keep_texts else 0), "Index")

    @classmethod
    def open(cls, path, read_only=False, threads=0):
        """An index saved by save().  Unless read_only, it is opened for
        writing and the file's lock is held until close(): a second
        writer raises DedupLockedError.  A read-only index takes no lock
        and refuses writes (DedupError ESTATE).  An unreadable file raises
        DedupOSError, a damaged or other-version one DedupError (EFORMAT,
        EVERSION)."""
        if _ix_open is None:
            raise NotImplementedError("this libdedup has no dedup_index_open")
        raw = _cstr(path, "path")
        h = _vp()
        ctypes.set_errno(0)
        _check_io(_ix_open(ctypes.byref(h), raw,
                           _INDEX_READ_ONLY if read_only else 0), path)
        ix = cls(threads=threads, _handle=h)
        ix.path = os.fspath(path)
        return ix

    def _handle(self):
        if not self._c:
            raise ValueError("the index is closed")
        return self._c

    def save(self, path=None):
        """Saves the index.  path None: the file it was opened from, where
        a save appends what changed to PATH.journal (synced) when it can,
        and open does it again; else (and elsewhere) the whole file,
        atomically (a temporary file renamed over path).  Saving elsewhere
        takes that file's lock for the save (DedupLockedError if another
        writer holds it)."""
        if _ix_save is None:
            raise NotImplementedError("this libdedup has no dedup_index_save")
        raw = None if path is None else _cstr(path, "path")
        with self._rw.write():
            ctypes.set_errno(0)
            _check_io(_ix_save(self._handle(), raw),
                      path if path is not None else (self.path or "index"))

    def compact(self):
        """Writes the index's own file whole and removes its journal
        (saves to its own file append to PATH.journal; see save)."""
        if _ix_compact is None:
            raise NotImplementedError("this libdedup has no "
                                      "dedup_index_compact")
        with self._rw.write():
            ctypes.set_errno(0)
            _check_io(_ix_compact(self._handle()), self.path or "index")

    @property
    def journal(self):
        """The journal of the index's own file, a JournalInfo."""
        if _ix_journal is None:
            raise NotImplementedError("this libdedup has no "
                                      "dedup_index_journal")
        j = _JournalInfo(_JOURNAL_INFO_VERSION, 0, 0, 0, 0, 0)
        with self._rw.read():
            _check(_ix_journal(self._handle(), ctypes.byref(j)), "journal")
        return JournalInfo(j.ops, j.bytes, j.unsaved, j.ignored,
                           bool(j.appends))

    def add(self, id, text, title=None, date=None, lang=None, replace=False,
            defer=False):
        """Adds a document and returns its Assignment.  id: str or bytes,
        not empty, unique (DedupExistsError, unless replace=True, which
        replaces the indexed one); title, date (Unix seconds, datetime or
        a date string dedup_date_parse reads) and lang as Corpus.add().
        defer=True keeps it unassigned until rebuild() (how a large index
        is first built) and returns None."""
        raw = _name(id)
        data = _bytes(text)
        meta = _meta(title, date, lang)
        flags = (_ADD_REPLACE if replace else 0) | (_ADD_DEFER if defer
                                                    else 0)
        out = _Assignment()
        out.version = _ASSIGNMENT_VERSION
        with self._rw.write():
            rc = _ix_add(self._handle(), raw, data, len(data),
                         ctypes.byref(meta) if meta else None, flags,
                         ctypes.byref(out))
            if rc in (EEMPTY, EBINARY):
                raise DedupValueError(rc, str(id))
            if rc == EEXIST:
                raise DedupExistsError(rc, "%s: id already indexed" % (id,))
            _check(rc, str(id))
            self._changes += 1
        return None if defer else _assignment(out)

    def query(self, text, title=None, date=None, lang=None):
        """What add() would give this text, without adding it: an
        Assignment whose copy_id / story_id is 0 for a group or story it
        would start.  A reader: queries run concurrently."""
        data = _bytes(text)
        meta = _meta(title, date, lang)
        out = _Assignment()
        out.version = _ASSIGNMENT_VERSION
        with self._rw.read():
            rc = _ix_query(self._handle(), data, len(data),
                           ctypes.byref(meta) if meta else None,
                           ctypes.byref(out))
            if rc in (EEMPTY, EBINARY):
                raise DedupValueError(rc, "query")
            _check(rc, "query")
        return _assignment(out)

    def remove(self, id):
        """Removes a document (DedupNotFoundError, a KeyError, when the id
        is not indexed).  Its groups and story stay (never split)."""
        raw = _name(id)
        with self._rw.write():
            rc = _ix_remove(self._handle(), raw)
            if rc == ENOTFOUND:
                raise DedupNotFoundError(rc, str(id))
            _check(rc, str(id))
            self._changes += 1

    def expire(self, before):
        """Removes every document dated before `before` (Unix seconds, a
        datetime or a date string); undated documents stay.  Returns how
        many were removed."""
        t = _date(before)
        n = ctypes.c_size_t()
        with self._rw.write():
            _check(_ix_expire(self._handle(), t, ctypes.byref(n)), "expire")
            self._changes += 1
        return n.value

    def rebuild(self, threads=None):
        """Recomputes everything from the kept texts as a batch run would,
        assigning deferred documents; ids kept where the clusters allow.
        Needs keep_texts (DedupError ESTATE otherwise)."""
        if _ix_rebuild is None:
            raise NotImplementedError("this libdedup has no "
                                      "dedup_index_rebuild")
        t = self._threads if threads is None else _uint(threads, "threads")
        o = _RunOptions(_RUN_OPTIONS_VERSION, t, _RUN_ALL, None, None)
        with self._rw.write():
            _check(_ix_rebuild(self._handle(), ctypes.byref(o)), "rebuild")
            self._changes += 1

    def lookup(self, id):
        """The DocInfo of an id (DedupNotFoundError, a KeyError, if it is
        not indexed)."""
        raw = _name(id)
        d = _DocInfo()
        with self._rw.read():
            rc = _ix_lookup(self._handle(), raw, ctypes.byref(d))
            if rc == ENOTFOUND:
                raise DedupNotFoundError(rc, str(id))
            _check(rc, str(id))
            return _docinfo(d)  # the id is borrowed: copied under the lock

    def __contains__(self, id):
        try:
            raw = _name(id)
        except TypeError:
            return False
        d = _DocInfo()
        with self._rw.read():
            rc = _ix_lookup(self._handle(), raw, ctypes.byref(d))
            if rc == ENOTFOUND:
                return False
            _check(rc, str(id))
            return True

    def __len__(self):
        with self._rw.read():
            return _ix_count(self._handle())

    def docs(self):
        """Every document's DocInfo, in the order they were added (a
        replaced one at its new place).  The index must not change while
        the iterator runs: a write in between raises RuntimeError at the
        next step, as a dict does."""
        changes = self._changes
        i = 0
        d = _DocInfo()
        while True:
            with self._rw.read():
                if self._changes != changes:
                    raise RuntimeError("the index changed during docs()")
                c = self._handle()
                if i >= _ix_count(c):
                    return
                _check(_ix_doc(c, i, ctypes.byref(d)), "docs")
                info = _docinfo(d)
            yield info
            i += 1

    def __iter__(self):
        return (d.id for d in self.docs())

    def merges(self):
        """Every merge so far, oldest first: (level, from_id, into_id),
        level "copy" or "story"; from_id's documents are in into_id (which
        may have been merged later: resolve())."""
        if _ix_merge is None or _ix_merge_count is None:
            raise NotImplementedError("this libdedup has no "
                                      "dedup_index_merge")
        lv = ctypes.c_int()
        a, b = ctypes.c_uint64(), ctypes.c_uint64()
        with self._rw.read():
            c = self._handle()
            out = []
            for i in range(_ix_merge_count(c)):
                _check(_ix_merge(c, i, ctypes.byref(lv), ctypes.byref(a),
                                 ctypes.byref(b)), "merges")
                out.append((_LEVEL_NAMES.get(lv.value, lv.value), a.value,
                            b.value))
            return out

    def resolve(self, level, id):
        """The id that now holds the documents of a copy or story id
        (itself unless merged away).  DedupNotFoundError for an id never
        given."""
        if _ix_resolve is None:
            raise NotImplementedError("this libdedup has no "
                                      "dedup_index_resolve")
        lv = _choice(_LEVELS, level, "level")
        v = _u64(id, "id")
        cur = ctypes.c_uint64()
        with self._rw.read():
            rc = _ix_resolve(self._handle(), lv, v, ctypes.byref(cur))
            if rc == ENOTFOUND:
                raise DedupNotFoundError(rc, "%s id %d" % (level, v))
            _check(rc, "resolve")
        return cur.value

    @property
    def keeps_texts(self):
        with self._rw.read():
            return bool(_ix_keeps_texts(self._handle()))

    @property
    def params(self):
        """The resolved parameters (no zero defaults) as a dict."""
        p = _Params()
        with self._rw.read():
            _check(_ix_params(self._handle(), ctypes.byref(p),
                              _PARAMS_VERSION), "params")
        return {
            "shingle_k": p.shingle_k, "num_perm": p.num_perm,
            "threshold": p.threshold, "story_threshold": p.story_threshold,
            "method": _METHOD_NAMES.get(p.method, p.method),
            "minhash_kind": _KIND_NAMES.get(p.minhash_kind, p.minhash_kind),
            "seed": p.seed, "no_clean": bool(p.flags & _F_NO_CLEAN),
            "no_langid": bool(p.flags & _F_NO_LANGID),
            "story_days": p.story_days,
        }

    def close(self):
        """Frees the index and releases its file lock; twice is fine."""
        rw = getattr(self, "_rw", None)
        if rw is None:
            return
        with rw.write():
            if getattr(self, "_c", None):
                _ix_free(self._c)
                self._c = _vp()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __reduce__(self):
        raise TypeError("Index cannot be pickled: save() it to a file")
