import { InvalidArgumentError } from 'commander';

export function parseInteger(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** An `https://host[:port]` origin, as `--public-url` takes it (no path: Berth serves at the root). */
export function parseHttpsOrigin(flag: string) {
  return (value: string): string => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidArgumentError(`${flag} must be a URL such as https://berth.example.com:7443.`);
    }
    if (url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
      throw new InvalidArgumentError(`${flag} must be an https:// origin with no path, query or credentials, such as https://berth.example.com:7443.`);
    }
    return url.origin;
  };
}
