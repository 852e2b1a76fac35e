/** @internal One page of a list, 1-based; `size` is kept between 1 and 200. */
export function pageOf<T>(items: T[], query: { page?: number; size?: number }, defaultSize: number) {
  const size = Math.min(200, Math.max(1, Math.floor(Number(query.size) || defaultSize)));
  const page = Math.max(1, Math.floor(Number(query.page) || 1));
  return { items: items.slice((page - 1) * size, page * size), total: items.length, page, size };
}
