/**
 * One segment of a URL path: a name (a subscription id, resource group, workspace, compute, ...)
 * percent-encoded whole, so `../x`, `a/b`, `a?b` or `a#b` stays that name instead of moving the
 * request to another route or into the query. `.` and `..` are refused: a WHATWG URL resolves them
 * however they are encoded (`%2e` too), and an empty name would drop a segment from the route.
 */
export function pathSegment(name: string): string {
  if (name === '' || name === '.' || name === '..') throw new RangeError(`'${name}' cannot be a name in a URL: names are not empty, '.' or '..'.`);
  return encodeURIComponent(name);
}

/** A URL path whose every interpolated value is one encoded segment: armPath`/subscriptions/${id}/resourceGroups/${group}`. */
export function armPath(strings: TemplateStringsArray, ...names: string[]): string {
  return strings.reduce((path, literal, i) => path + literal + (i < names.length ? pathSegment(names[i]) : ''), '');
}
