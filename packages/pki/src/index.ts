export { berthPermittedNames, caFiles, loadOrCreateCa, loadOrCreateServerCertificate } from './certificate-authority.js';
export type { CertificateAuthority, KeyPairPem, LeafRequest, PermittedNames } from './certificate-authority.js';
export { loadOrCreateSecretBox, SecretBox } from './secret-box.js';
