/**
 * `text` without its trailing `/`s. A loop, not `/\/+$/`: that pattern is retried from every
 * position of a long run of slashes that is not at the end, which is quadratic (a config with
 * 1 MB of `/` in its base_url would hang for minutes).
 */
export const withoutTrailingSlashes = (text: string): string => {
  let end = text.length
  while (end > 0 && text.charCodeAt(end - 1) === 47) end--
  return end === text.length ? text : text.slice(0, end)
}
