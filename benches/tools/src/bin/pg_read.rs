//! Reads a query's rows in PostgreSQL's binary result format and discards them, printing the
//! row count and the bytes received (with `--check`, also a checksum of every value's bytes,
//! NULLs included, so two servers' answers can be compared): the binary counterpart of `psql -o /dev/null` for
//! benchmarks. tokio-postgres asks for binary results for every column (extended protocol).
//!
//! `pg_read [--check] "host=127.0.0.1 port=5433 user=bench" "SELECT * FROM bench_1000000"`

use futures::{pin_mut, TryStreamExt};
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::NoTls;

/// Any value, as its binary encoding (no decoding cost beyond the protocol's).
struct Raw<'a>(&'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over `bytes`, continuing from `hash`.
fn fnv(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.first().is_some_and(|a| a == "--check");
    if check {
        args.remove(0);
    }
    let [conninfo, sql] = args.as_slice() else {
        eprintln!("usage: pg_read [--check] CONNINFO SQL");
        std::process::exit(2);
    };
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls).await?;
    let driver = tokio::spawn(connection);
    let started = std::time::Instant::now();
    let rows = client.query_raw(sql.as_str(), std::iter::empty::<i32>()).await?;
    pin_mut!(rows);
    let (mut count, mut bytes, mut sum) = (0u64, 0usize, FNV_OFFSET);
    while let Some(row) = rows.try_next().await? {
        count += 1;
        // Touch every field, as a client decoding values would.
        for i in 0..row.len() {
            match row.try_get::<_, Option<Raw<'_>>>(i)? {
                Some(Raw(raw)) => {
                    bytes += raw.len();
                    if check {
                        sum = fnv(fnv(sum, &(raw.len() as u32).to_be_bytes()), raw);
                    }
                }
                None if check => sum = fnv(sum, &[0xff; 4]),
                None => {}
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    if check {
        println!("{count} rows, {bytes} field bytes, checksum {sum:016x}, {elapsed:.3} s");
    } else {
        println!("{count} rows, {bytes} field bytes, {elapsed:.3} s");
    }
    drop(client);
    let _ = driver.await;
    Ok(())
}
