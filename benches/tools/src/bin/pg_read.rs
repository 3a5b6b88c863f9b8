//! Reads a query's rows in PostgreSQL's binary result format and discards them, printing the
//! row count and the bytes received: the binary counterpart of `psql -o /dev/null` for
//! benchmarks. tokio-postgres asks for binary results for every column (extended protocol).
//!
//! `pg_read "host=127.0.0.1 port=5433 user=bench" "SELECT * FROM bench_1000000"`

use futures::{pin_mut, TryStreamExt};
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::NoTls;

/// Any value, as the length of its binary encoding (no decoding cost beyond the protocol's).
struct RawLen(usize);

impl<'a> FromSql<'a> for RawLen {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawLen(raw.len()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [conninfo, sql] = args.as_slice() else {
        eprintln!("usage: pg_read CONNINFO SQL");
        std::process::exit(2);
    };
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls).await?;
    let driver = tokio::spawn(connection);
    let started = std::time::Instant::now();
    let rows = client.query_raw(sql.as_str(), std::iter::empty::<i32>()).await?;
    pin_mut!(rows);
    let (mut count, mut bytes) = (0u64, 0usize);
    while let Some(row) = rows.try_next().await? {
        count += 1;
        // Touch every field, as a client decoding values would.
        for i in 0..row.len() {
            bytes += row.try_get::<_, Option<RawLen>>(i)?.map_or(0, |r| r.0);
        }
    }
    println!("{count} rows, {bytes} field bytes, {:.3} s", started.elapsed().as_secs_f64());
    drop(client);
    let _ = driver.await;
    Ok(())
}
