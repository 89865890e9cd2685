"""libdedup from Python: near-duplicate and same-story clustering of text.

A ctypes binding over the shared C library (standard library only)::

    import dedup
    c = dedup.Corpus()
    c.add("a.txt", open("a.txt", "rb").read())
    c.add("b.txt", "some text ...")
    c.run()
    c.clusters()                 # [['a.txt', 'b.txt']] or [['a.txt'], ['b.txt']]

The library is found through $DEDUP_LIBRARY (a path to libdedup.so), then
a build directory of the source tree this package sits in
(build*/lib/libdedup.so), then the system (ctypes.util.find_library).
"""

import ctypes
import ctypes.util
import glob
import json
import os

__all__ = [
    "Corpus", "DedupError", "MinHash", "SimHash", "normalise", "shingles",
    "char_shingles", "scores", "version", "library_path",
]

# Status codes (dedup.h, dedup_status).
OK, ENOMEM, EINVAL, EIO, EEMPTY, EBINARY = 0, -1, -2, -3, -4, -5
EFORMAT, EVERSION, ESTATE, ETOOBIG = -6, -7, -8, -9

_LEVELS = {"story": 0, "copy": 1}
_METHODS = {"minhash": 0, "simhash": 1}
_KINDS = {"oph": 0, "classic": 1}
_F_NO_CLEAN, _F_SPLIT_EMBEDDED = 1, 2
_RUN_COPY, _RUN_ALL = 1, 3
_PARAMS_VERSION, _RUN_OPTIONS_VERSION = 1, 1


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
    built = [p for p in glob.glob(os.path.join(root, "build*", "lib",
                                               "libdedup.so"))
             if os.path.exists(p)
             and _loadable(os.path.dirname(os.path.dirname(p)))]
    if built:  # the most recently built one
        return max(built, key=os.path.getmtime)
    found = ctypes.util.find_library("dedup")
    if found:
        return found
    raise OSError("libdedup not found: build it (meson setup build && "
                  "ninja -C build), install it, or set DEDUP_LIBRARY")


library_path = _find_library()
_lib = ctypes.CDLL(library_path)

_c_size_p = ctypes.POINTER(ctypes.c_size_t)
_c_u64_p = ctypes.POINTER(ctypes.c_uint64)


# dedup_params and dedup_run_options as dedup.h lays them out (version 1);
# the library reads them by their version field, so a newer library
# still takes these.
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
    ]


class _RunOptions(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("threads", ctypes.c_uint),
        ("levels", ctypes.c_uint),
        ("progress", ctypes.c_void_p),
        ("progress_ctx", ctypes.c_void_p),
    ]


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
_c_new = _fn("dedup_corpus_new", ctypes.c_int, ctypes.POINTER(_vp),
             ctypes.POINTER(_Params))
_c_free = _fn("dedup_corpus_free", None, _vp)
_c_add = _fn("dedup_corpus_add", ctypes.c_int, _vp, _cp, _cp,
             ctypes.c_size_t, _c_size_p)
_c_run = _fn("dedup_corpus_run_with", ctypes.c_int, _vp,
             ctypes.POINTER(_RunOptions))
_c_items = _fn("dedup_corpus_item_count", ctypes.c_size_t, _vp)
_c_name = _fn("dedup_corpus_item_name", _cp, _vp, ctypes.c_size_t)
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
_eval = _fn("dedup_eval_scores", ctypes.c_int, ctypes.POINTER(_Scores),
            _c_size_p, _c_size_p, ctypes.c_size_t)
try:  # saving and loading arrived with the index format
    _c_save = _fn("dedup_corpus_save", ctypes.c_int, _vp, _cp)
    _c_load = _fn("dedup_corpus_load", ctypes.c_int, ctypes.POINTER(_vp),
                  _cp)
except AttributeError:  # pragma: no cover - an older library
    _c_save = _c_load = None


class DedupError(Exception):
    """A libdedup call failed; .status is the dedup_status code."""

    def __init__(self, status, what=""):
        self.status = status
        msg = _strerror(status).decode()
        super().__init__("%s: %s" % (what, msg) if what else msg)


def _check(status, what=""):
    if status != OK:
        if status == ENOMEM:
            raise MemoryError(_strerror(status).decode())
        raise DedupError(status, what)


def _bytes(text):
    if isinstance(text, str):
        return text.encode("utf-8", "surrogateescape")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError("text must be str or bytes, not %s" % type(text).__name__)


def _str(b):
    return b.decode("utf-8", "surrogateescape")


def _u64_array(values):
    values = list(values)
    return (ctypes.c_uint64 * max(len(values), 1))(*values), len(values)


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
    """The word k-shingles of a text as 64-bit hashes, in text order."""
    data = _bytes(text)
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
    out, cnt = _vp(), ctypes.c_size_t()
    _check(_char_shingles(ctypes.byref(out), ctypes.byref(cnt), data,
                          len(data), n, seed), "char_shingles")
    try:
        return list(ctypes.cast(out, _c_u64_p)[:cnt.value])
    finally:
        _free(out)


class MinHash:
    """Streaming MinHash of a set of 64-bit hashes (e.g. shingles())."""

    def __init__(self, k=128, kind="oph", seed=0):
        self._h = _vp()
        _check(_mh_new(ctypes.byref(self._h), k, _KINDS[kind]), "MinHash")
        self.k = k
        _mh_reset(self._h, seed)

    def reset(self, seed=0):
        _mh_reset(self._h, seed)

    def update(self, hashes):
        arr, n = _u64_array(hashes)
        _mh_update(self._h, arr, n)
        return self

    def digest(self):
        sig = (ctypes.c_uint64 * self.k)()
        _mh_digest(self._h, sig)
        return list(sig)

    def jaccard(self, other):
        """Estimated Jaccard similarity with another MinHash (or digest)."""
        return MinHash.estimate(self.digest(), other.digest()
                                if isinstance(other, MinHash) else other)

    @staticmethod
    def estimate(sig_a, sig_b):
        if len(sig_a) != len(sig_b):
            raise ValueError("signatures of different lengths")
        a, n = _u64_array(sig_a)
        b, _ = _u64_array(sig_b)
        return _mh_jaccard(a, b, n)

    def __del__(self):
        if getattr(self, "_h", None):
            _mh_free(self._h)
            self._h = None


class SimHash:
    """Streaming 64-bit SimHash of weighted features (64-bit hashes)."""

    def __init__(self, seed=0):
        self._h = _vp()
        _check(_sh_new(ctypes.byref(self._h)), "SimHash")
        _sh_reset(self._h, seed)

    def reset(self, seed=0):
        _sh_reset(self._h, seed)

    def update(self, features, weights=None):
        arr, n = _u64_array(features)
        w = None
        if weights is not None:
            weights = list(weights)
            if len(weights) != n:
                raise ValueError("one weight per feature")
            w = (ctypes.c_double * max(n, 1))(*weights)
        _sh_update(self._h, arr, w, n)
        return self

    def digest(self):
        return _sh_digest(self._h)

    @staticmethod
    def distance(a, b):
        return _sh_distance(a, b)

    def __del__(self):
        if getattr(self, "_h", None):
            _sh_free(self._h)
            self._h = None


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


class Corpus:
    """Documents in, clusters out (dedup_corpus).

    Parameters are those of dedup_params; 0 or None means the library's
    default (threshold: 0.5 for MinHash, 0.9 for SimHash).
    """

    def __init__(self, shingle_k=0, num_perm=0, threshold=0.0,
                 story_threshold=0.0, method="minhash", minhash_kind="oph",
                 seed=0, threads=0, no_clean=False, split_embedded=False,
                 copy_only=False, _handle=None):
        self._c = _vp()
        # How runs execute (never saved with the corpus).
        self.threads = threads
        self.copy_only = copy_only
        if _handle is not None:
            self._c = _handle
            return
        p = _Params(_PARAMS_VERSION, shingle_k, num_perm, threshold or 0.0,
                    story_threshold or 0.0, _METHODS[method],
                    _KINDS[minhash_kind], seed,
                    (_F_NO_CLEAN if no_clean else 0) |
                    (_F_SPLIT_EMBEDDED if split_embedded else 0))
        _check(_c_new(ctypes.byref(self._c), ctypes.byref(p)), "Corpus")

    @classmethod
    def load(cls, path):
        """A corpus saved by save(): its parameters and documents."""
        if _c_load is None:
            raise NotImplementedError("this libdedup cannot load")
        h = _vp()
        _check(_c_load(ctypes.byref(h), os.fsencode(path)), str(path))
        return cls(_handle=h)

    def save(self, path):
        if _c_save is None:
            raise NotImplementedError("this libdedup cannot save")
        _check(_c_save(self._handle(), os.fsencode(path)), str(path))

    def _handle(self):
        if not self._c:
            raise ValueError("the corpus is closed")
        return self._c

    def add(self, name, text):
        """Adds a document (text: str or bytes).  Returns False when it is
        skipped because it holds no words or looks binary (the corpus is
        unchanged then), True when added."""
        data = _bytes(text)
        rc = _c_add(self._handle(), _bytes(name), data, len(data), None)
        if rc in (EEMPTY, EBINARY):
            return False
        _check(rc, str(name))
        return True

    def run(self):
        """Clusters every document added so far (both levels)."""
        o = _RunOptions(_RUN_OPTIONS_VERSION, self.threads,
                        _RUN_COPY if self.copy_only else _RUN_ALL, None, None)
        _check(_c_run(self._handle(), ctypes.byref(o)), "run")
        return self

    def __len__(self):
        return _c_items(self._handle())

    def items(self):
        """Item names in id order (names sort; embedded articles are
        NAME#2, ... with split_embedded)."""
        c = self._handle()
        return [_str(_c_name(c, i)) for i in range(_c_items(c))]

    def _id(self, item):
        if isinstance(item, int):
            if item < 0:  # the library checks the upper end (EINVAL)
                raise IndexError(item)
            return item
        names = self.items()
        try:
            return names.index(item)
        except ValueError:
            raise KeyError(item) from None

    def clusters(self, level="story", min_size=1):
        """Clusters as lists of item names, largest first."""
        c, lv = self._handle(), _LEVELS[level]
        out = []
        n = ctypes.c_size_t()
        for k in range(_c_nclusters(c, lv)):
            m = _c_members(c, lv, k, ctypes.byref(n))
            if n.value >= min_size:
                out.append([_str(_c_name(c, m[i])) for i in range(n.value)])
        return out

    def labels(self, level="story"):
        """The cluster id of every item, in item order (for scores())."""
        c, lv = self._handle(), _LEVELS[level]
        return [_c_cluster_of(c, lv, i) for i in range(_c_items(c))]

    def links(self, level="story"):
        """Verified links inside clusters: (name_a, name_b, similarity)."""
        c, lv = self._handle(), _LEVELS[level]
        a, b, s = ctypes.c_size_t(), ctypes.c_size_t(), ctypes.c_double()
        out = []
        for i in range(_c_nlinks(c, lv)):
            _check(_c_link(c, lv, i, ctypes.byref(a), ctypes.byref(b),
                           ctypes.byref(s)), "links")
            out.append((_str(_c_name(c, a.value)), _str(_c_name(c, b.value)),
                        s.value))
        return out

    def explain(self, a, b):
        """Why items a and b (names or ids) are or are not in one cluster:
        a dict with the copy-level and story-level numbers (see
        dedup_explanation in dedup.h)."""
        c = self._handle()
        ia, ib = self._id(a), self._id(b)
        p = ctypes.POINTER(_Explanation)()
        _check(_c_explain(ctypes.byref(p), c, ia, ib), "explain")
        try:
            e = p.contents
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
                    "words_b": e.words_b, "copy": copy, "story": story}
        finally:
            _x_free(p)

    def close(self):
        if getattr(self, "_c", None):
            _c_free(self._c)
            self._c = _vp()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()
