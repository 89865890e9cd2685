/* date.c - publication dates to Unix seconds: ISO 8601 dates and
 * date-times (RFC 3339 and the forms datasets use: a space for 'T', no
 * seconds, no zone meaning UTC, "+0100" and "+01" zones) and Unix
 * seconds.  No locale, no libc time functions (timegm is not C11 and
 * mktime reads the local zone): days from the civil date by Hinnant's
 * algorithm (proleptic Gregorian). */
#include "common/dedup_private.h"

#include <stdint.h>

/* Days from 1970-01-01 to y-m-d. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static int leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n decimal digits at *p (advanced); -1 if they are not all digits. */
static int64_t digits(const char **p, const char *end, int n) {
  int64_t v = 0;
  for (int i = 0; i < n; i++, (*p)++) {
    if (*p >= end || **p < '0' || **p > '9')
      return -1;
    v = v * 10 + (**p - '0');
  }
  return v;
}

/* Dates beyond 9999-12-31T23:59:59Z (or before year 0) are no dates of
 * news: a Unix time in milliseconds (13 digits) lands there, and is
 * refused rather than read as a year 56,000. */
#define MAX_ABS_SECONDS INT64_C(253402300799)

static int is_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int unix_seconds(const char *p, const char *end, int64_t *out) {
  int neg = p < end && *p == '-';
  p += neg;
  if (p == end)
    return DEDUP_EINVAL;
  int64_t v = 0;
  int n = 0;
  for (; p < end && *p >= '0' && *p <= '9'; p++, n++) {
    if (n == 18)
      return DEDUP_EINVAL; /* beyond any date of news */
    v = v * 10 + (*p - '0');
  }
  if (n == 0)
    return DEDUP_EINVAL;
  if (p < end && *p == '.') { /* a fraction: ignored */
    p++;
    if (p == end)
      return DEDUP_EINVAL;
    while (p < end && *p >= '0' && *p <= '9')
      p++;
  }
  if (p != end || v > MAX_ABS_SECONDS)
    return DEDUP_EINVAL;
  *out = neg ? -v : v;
  return DEDUP_OK;
}

/* The ISO 8601 basic forms of 8 digits (YYYYMMDD) and 14
 * (YYYYMMDDhhmmss, UTC), as GDELT and many crawls write them.  Returns 1
 * and the time when s is one of them. */
static int basic_form(const char *p, const char *end, int64_t *out);

DEDUP_API int dedup_date_parse(const char *s, size_t len,
                               int64_t *unix_seconds_out) {
  if (!s || !unix_seconds_out)
    return DEDUP_EINVAL;
  const char *p = s, *end = s + len;
  while (p < end && is_space(*p))
    p++;
  while (end > p && is_space(end[-1]))
    end--;
  /* Digits only (or a sign, or a fraction): Unix seconds.  A year alone
   * ("2024") is read so too: datasets write years as dates rarely and
   * epochs often. */
  const char *q = p;
  while (q < end && ((*q >= '0' && *q <= '9') || *q == '-' || *q == '.'))
    q++;
  if (q == end && (end - p < 5 || p[4] != '-')) {
    if (basic_form(p, end, unix_seconds_out))
      return DEDUP_OK;
    return unix_seconds(p, end, unix_seconds_out);
  }

  int64_t y = digits(&p, end, 4);
  if (y < 0 || p >= end || *p++ != '-')
    return DEDUP_EINVAL;
  int64_t mo = digits(&p, end, 2);
  if (mo < 1 || mo > 12 || p >= end || *p++ != '-')
    return DEDUP_EINVAL;
  int64_t d = digits(&p, end, 2);
  static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31};
  if (d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
    return DEDUP_EINVAL;
  int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400;
  if (p == end) {
    *unix_seconds_out = t;
    return DEDUP_OK;
  }
  if (*p != 'T' && *p != 't' && *p != ' ')
    return DEDUP_EINVAL;
  p++;
  int64_t h = digits(&p, end, 2);
  if (h < 0 || h > 23 || p >= end || *p++ != ':')
    return DEDUP_EINVAL;
  int64_t mi = digits(&p, end, 2);
  if (mi < 0 || mi > 59)
    return DEDUP_EINVAL;
  int64_t sec = 0;
  if (p < end && *p == ':') {
    p++;
    sec = digits(&p, end, 2);
    if (sec < 0 || sec > 60) /* 60: a leap second */
      return DEDUP_EINVAL;
    if (p < end && (*p == '.' || *p == ',')) {
      p++;
      const char *f = p;
      while (p < end && *p >= '0' && *p <= '9')
        p++;
      if (p == f)
        return DEDUP_EINVAL;
    }
  }
  t += h * 3600 + mi * 60 + sec;
  if (p < end && (*p == 'Z' || *p == 'z')) {
    p++;
  } else if (p < end && (*p == '+' || *p == '-')) {
    int sign = *p++ == '-' ? -1 : 1;
    int64_t zh = digits(&p, end, 2), zm = 0;
    if (zh < 0 || zh > 23)
      return DEDUP_EINVAL;
    int colon = p < end && *p == ':';
    p += colon;
    if (p < end || colon) { /* "+01:" needs its minutes */
      zm = digits(&p, end, 2);
      if (zm < 0 || zm > 59)
        return DEDUP_EINVAL;
    }
    t -= sign * (zh * 3600 + zm * 60); /* local = UTC + offset */
  }
  if (p != end)
    return DEDUP_EINVAL;
  *unix_seconds_out = t;
  return DEDUP_OK;
}

static int basic_form(const char *p, const char *end, int64_t *out) {
  size_t n = (size_t)(end - p);
  if (n != 8 && n != 14)
    return 0;
  int64_t y = digits(&p, end, 4), mo = digits(&p, end, 2),
          d = digits(&p, end, 2), h = 0, mi = 0, sec = 0;
  if (n == 14) {
    h = digits(&p, end, 2);
    mi = digits(&p, end, 2);
    sec = digits(&p, end, 2);
  }
  static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31};
  /* Years 1900..2999 only: other 8-digit numbers are Unix seconds. */
  if (y < 1900 || y > 2999 || mo < 1 || mo > 12 || d < 1 ||
      d > mdays[mo - 1] + (mo == 2 && leap(y)) || h < 0 || h > 23 ||
      mi < 0 || mi > 59 || sec < 0 || sec > 60)
    return 0;
  *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
         mi * 60 + sec;
  return 1;
}
