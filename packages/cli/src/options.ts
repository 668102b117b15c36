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
