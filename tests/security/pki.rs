//! A throw-away certificate authority made with the `openssl` command for each test: a root, an
//! intermediate, server certificates for `localhost`/`127.0.0.1` (EC behind the intermediate, so
//! the server must send the chain; RSA with a PKCS#1 key straight from the root) and client
//! certificates by common name.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Pki {
    pub dir: PathBuf,
    _temp: TempDir,
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "flinkwire-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("the openssl command");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

const SERVER_EXT: &str = "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n";
const CLIENT_EXT: &str = "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n";
const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";

impl Pki {
    /// A new root CA (`<name>-root.crt`) and intermediate in a fresh directory.
    pub fn new(name: &str) -> Self {
        let temp = TempDir::new(&format!("pki-{name}"));
        let dir = temp.0.clone();
        std::fs::write(dir.join("server.ext"), SERVER_EXT).unwrap();
        std::fs::write(dir.join("client.ext"), CLIENT_EXT).unwrap();
        std::fs::write(dir.join("ca.ext"), CA_EXT).unwrap();
        openssl(&dir, &["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "root.key", "-out", "root.crt", "-days", "2", "-subj", &format!("/CN={name} test root"),
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        let pki = Pki { dir, _temp: temp };
        pki.issue("intermediate", "root", &format!("{name} test intermediate"), "ca.ext", Key::Ec);
        pki
    }

    /// The root certificate clients trust.
    pub fn root(&self) -> PathBuf {
        self.dir.join("root.crt")
    }

    /// An EC server certificate issued by the intermediate: `(chain file, key file)`; the chain
    /// holds the leaf then the intermediate.
    pub fn server_ec(&self, name: &str) -> (PathBuf, PathBuf) {
        self.issue(name, "intermediate", "localhost", "server.ext", Key::Ec);
        let chain = format!(
            "{}{}",
            std::fs::read_to_string(self.dir.join(format!("{name}.crt"))).unwrap(),
            std::fs::read_to_string(self.dir.join("intermediate.crt")).unwrap()
        );
        std::fs::write(self.dir.join(format!("{name}-chain.crt")), chain).unwrap();
        (self.dir.join(format!("{name}-chain.crt")), self.dir.join(format!("{name}.key")))
    }

    /// An RSA server certificate with a PKCS#1 key, issued by the root.
    pub fn server_rsa(&self, name: &str) -> (PathBuf, PathBuf) {
        self.issue(name, "root", "localhost", "server.ext", Key::RsaPkcs1);
        (self.dir.join(format!("{name}.crt")), self.dir.join(format!("{name}.key")))
    }

    /// A client certificate with common name `cn`, issued by the root: `(cert, key)`.
    pub fn client(&self, cn: &str) -> (PathBuf, PathBuf) {
        let name = format!("client-{cn}");
        self.issue(&name, "root", cn, "client.ext", Key::Ec);
        // libpq refuses a key file others can read.
        let key = self.dir.join(format!("{name}.key"));
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        (self.dir.join(format!("{name}.crt")), key)
    }

    fn issue(&self, name: &str, issuer: &str, cn: &str, ext: &str, key: Key) {
        let key_file = format!("{name}.key");
        match key {
            Key::Ec => openssl(&self.dir, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", &key_file]),
            Key::RsaPkcs1 => openssl(&self.dir, &["genrsa", "-traditional", "-out", &key_file, "2048"]),
        }
        openssl(&self.dir, &["req", "-new", "-key", &key_file, "-out", &format!("{name}.csr"), "-subj", &format!("/CN={cn}")]);
        openssl(&self.dir, &["x509", "-req", "-in", &format!("{name}.csr"), "-CA", &format!("{issuer}.crt"),
            "-CAkey", &format!("{issuer}.key"), "-CAcreateserial", "-out", &format!("{name}.crt"), "-days", "2",
            "-sha256", "-extfile", ext]);
    }
}

#[derive(Clone, Copy)]
enum Key {
    Ec,
    RsaPkcs1,
}
