import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PREFIX = 'enc:v1:';

/**
 * Encrypts secrets at rest (AES-256-GCM) and derives credentials (HMAC-SHA256)
 * from one master key that lives in Berth's home folder, never in the store.
 */
export class SecretBox {
  private readonly encryptionKey: Buffer;
  private readonly signingKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('The master key must be 32 bytes.');
    // Separate keys for separate purposes, both derived from the master key.
    this.encryptionKey = createHmac('sha256', masterKey).update('berth/encryption').digest();
    this.signingKey = createHmac('sha256', masterKey).update('berth/signing').digest();
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  decrypt(sealed: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error('Not an encrypted value.');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  /** A MAC of `message`, base64url: the same message always gives the same value. */
  sign(message: string): string {
    return createHmac('sha256', this.signingKey).update(message).digest('base64url');
  }

  verify(message: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(message));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/** The master key file, created (mode 0600) on first start. */
export async function loadOrCreateSecretBox(home: string): Promise<SecretBox> {
  const path = join(home, 'master.key');
  if (existsSync(path)) return new SecretBox(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64'));
  await mkdir(home, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return new SecretBox(key);
}
