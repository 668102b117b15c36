export { caFiles, loadOrCreateCa, loadOrCreateServerCertificate } from './certificate-authority.js';
export type { CertificateAuthority, KeyPairPem, LeafRequest } from './certificate-authority.js';
export { loadOrCreateSecretBox, SecretBox } from './secret-box.js';
