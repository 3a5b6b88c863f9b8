//! Stable OIDs (`oids.rs`): DBeaver and pgAdmin cache OIDs across connections, so the same
//! object must have the same OID in every context built from the snapshot, whatever the order
//! the context was built or scanned in, and an object added to the snapshot must leave the
//! others' alone.

use super::*;

/// Every OID that names `default_database.orders`, its schema, its primary key and its catalog,
/// from each place a client reads one, as `what=oid` lines.
async fn orders_oids(emulation: &Emulation, snapshot: &Arc<MetadataSnapshot>) -> Vec<String> {
    let mut found = Vec::new();
    for (what, sql) in [
        (
            "pg_class.oid|relnamespace",
            "SELECT c.oid, c.relnamespace FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = 'orders' AND n.nspname = 'default_database'",
        ),
        ("pg_namespace.oid", "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'default_database'"),
        ("pg_attribute.attrelid", "SELECT DISTINCT attrelid FROM pg_catalog.pg_attribute WHERE attname = 'product'"),
        ("regclass", "SELECT 'orders'::regclass, 'default_database.orders'::regclass, format('%I.%I', 'default_database', 'orders')::regclass"),
        (
            "pg_index.indrelid|indexrelid",
            "SELECT i.indrelid, i.indexrelid FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'orders' AND n.nspname = 'default_database'",
        ),
        (
            "pg_class.oid of orders_pkey",
            "SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = 'orders_pkey' AND n.nspname = 'default_database'",
        ),
        (
            "pg_constraint.oid|conrelid|conindid|connamespace",
            "SELECT c.oid, c.conrelid, c.conindid, c.connamespace FROM pg_catalog.pg_constraint c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace WHERE c.conname = 'orders_pkey' AND n.nspname = 'default_database'",
        ),
        ("pg_description.objoid", "SELECT DISTINCT objoid FROM pg_catalog.pg_description WHERE description IN ('one row per order', 'what was sold')"),
        ("pg_database.oid", "SELECT oid FROM pg_catalog.pg_database WHERE datname = 'default_catalog'"),
    ] {
        let rows = run_in(emulation, snapshot, sql).await;
        assert_eq!(rows.len(), 1, "{what}: {rows:?}");
        found.push(format!("{what}={}", rows[0]));
    }
    found
}

/// The OID of relation `name` in pg_class.
async fn class_oid(emulation: &Emulation, snapshot: &Arc<MetadataSnapshot>, name: &str) -> String {
    let rows = run_in(emulation, snapshot, &format!("SELECT oid FROM pg_catalog.pg_class WHERE relname = '{name}'")).await;
    assert_eq!(rows.len(), 1, "{name}: {rows:?}");
    rows[0].clone()
}

/// The demo snapshot with every list reversed: the crate numbered objects in the order it met
/// them.
fn reversed(mut snapshot: MetadataSnapshot) -> MetadataSnapshot {
    snapshot.catalogs.reverse();
    for catalog in &mut snapshot.catalogs {
        catalog.databases.reverse();
        for database in &mut catalog.databases {
            database.tables.reverse();
        }
    }
    snapshot
}

#[tokio::test]
async fn the_oids_of_a_table_agree_everywhere_a_client_reads_them() {
    let oids = orders_oids(&Emulation::new(), &Arc::new(demo_snapshot())).await;
    let value = |what: &str| oids.iter().find_map(|o| o.strip_prefix(what)?.strip_prefix('=')).unwrap_or_else(|| panic!("{what}: {oids:?}"));
    let (table, schema) = value("pg_class.oid|relnamespace").split_once('|').unwrap();
    let index = value("pg_class.oid of orders_pkey");
    assert_eq!(value("pg_namespace.oid"), schema, "{oids:?}");
    assert_eq!(value("pg_attribute.attrelid"), table, "{oids:?}");
    assert_eq!(value("regclass"), [table; 3].join("|"), "{oids:?}");
    assert_eq!(value("pg_index.indrelid|indexrelid"), format!("{table}|{index}"), "{oids:?}");
    let constraint = value("pg_constraint.oid|conrelid|conindid|connamespace");
    assert_eq!(constraint.split_once('|').unwrap().1, format!("{table}|{index}|{schema}"), "{oids:?}");
    assert_eq!(value("pg_description.objoid"), table, "{oids:?}");
    // User objects are in PostgreSQL's user range and distinct.
    let numbers: std::collections::BTreeSet<i64> =
        [table, schema, index, constraint.split('|').next().unwrap(), value("pg_database.oid")].iter().map(|o| o.parse().unwrap()).collect();
    assert_eq!(numbers.len(), 5, "{oids:?}");
    assert!(numbers.iter().all(|&o| (16384..i32::MAX as i64).contains(&o)), "{oids:?}");
}

#[tokio::test]
async fn every_context_gives_the_same_oids() {
    let snapshot = Arc::new(demo_snapshot());
    let first = orders_oids(&Emulation::new(), &snapshot).await;
    // Another connection, the same snapshot.
    assert_eq!(orders_oids(&Emulation::new(), &snapshot).await, first);
    // The same objects listed in another order (a reload), scanned in another order
    // (pg_attribute and pg_database before pg_class).
    let other = Emulation::new();
    let reordered = Arc::new(reversed(demo_snapshot()));
    run_in(&other, &reordered, "SELECT count(*) FROM pg_catalog.pg_attribute").await;
    run_in(&other, &reordered, "SELECT count(*) FROM pg_catalog.pg_database").await;
    assert_eq!(orders_oids(&other, &reordered).await, first);
    // A session whose current catalog was another one first (another context in between).
    let moved = Emulation::new();
    let elsewhere = SessionFacts { catalog: "other_catalog".into(), database: "db1".into(), ..facts() };
    moved.query(&snapshot, &elsewhere, "SELECT oid FROM pg_catalog.pg_class", None).await.unwrap();
    assert_eq!(orders_oids(&moved, &snapshot).await, first);
    assert_eq!(class_oid(&moved, &snapshot, "customers").await, class_oid(&Emulation::new(), &reordered, "customers").await);
}

#[tokio::test]
async fn adding_objects_leaves_the_other_oids_alone() {
    let snapshot = Arc::new(demo_snapshot());
    let emulation = Emulation::new();
    let before = orders_oids(&emulation, &snapshot).await;
    let customers = class_oid(&emulation, &snapshot, "customers").await;
    let big_orders = class_oid(&emulation, &snapshot, "big_orders").await;
    let mut grown = demo_snapshot();
    let returns = table("returns", TableKind::Table, vec![column("order_id", LogicalType::BigInt, false)], &["order_id"]);
    grown.catalogs[0].databases[1].tables.insert(0, returns.clone());
    grown.catalogs[0].databases.insert(0, DatabaseMeta { name: "archive".into(), tables: vec![TableMeta { name: "orders".into(), ..returns }] });
    grown.catalogs.insert(0, CatalogMeta { name: "a_catalog".into(), databases: vec![] });
    let grown = Arc::new(grown);
    // The same session after a refresh, as a client that cached the OIDs sees it.
    assert_eq!(orders_oids(&emulation, &grown).await, before);
    assert_eq!(class_oid(&emulation, &grown, "customers").await, customers);
    assert_eq!(class_oid(&emulation, &grown, "big_orders").await, big_orders);
    let returns = class_oid(&emulation, &grown, "returns").await;
    assert!(![&customers, &big_orders].contains(&&returns), "{returns}");
}

#[tokio::test]
async fn system_catalogs_have_postgres_oids() {
    let emulation = Emulation::new();
    let snapshot = Arc::new(demo_snapshot());
    assert_eq!(
        run_in(&emulation, &snapshot, "SELECT c.oid, c.relnamespace, 'pg_class'::regclass FROM pg_catalog.pg_class c WHERE c.relname = 'pg_class'").await,
        ["1259|11|1259"]
    );
    assert_eq!(run_in(&emulation, &snapshot, "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog'").await, ["11"]);
    // The crate's static pg_type rows join back to the catalogs and schemas.
    assert_eq!(
        run_in(
            &emulation,
            &snapshot,
            "SELECT t.typname, c.relname, n.nspname FROM pg_catalog.pg_type t \
             LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             WHERE t.typname IN ('pg_class', 'pg_attribute', 'cardinal_number') ORDER BY 1"
        )
        .await,
        ["cardinal_number|NULL|information_schema", "pg_attribute|pg_attribute|pg_catalog", "pg_class|pg_class|pg_catalog"]
    );
    assert_eq!(
        run_in(&emulation, &snapshot, "SELECT DISTINCT a.attrelid FROM pg_catalog.pg_attribute a WHERE a.attname = 'relpersistence'").await,
        ["1259"]
    );
    // Every row type of the crate's pg_type belongs to the relation of its name, the system
    // views' and information_schema's too: they have PostgreSQL's OIDs.
    assert_eq!(
        run_in(
            &emulation,
            &snapshot,
            "SELECT t.typname, c.relname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_class c ON c.oid = t.typrelid WHERE t.typname <> c.relname"
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        run_in(
            &emulation,
            &snapshot,
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_type t ON t.typrelid = c.oid \
             WHERE c.relname IN ('pg_class', 'pg_tables', 'tables') ORDER BY 1"
        )
        .await,
        ["pg_class", "pg_tables", "tables"]
    );
    // The system views and information_schema: stable, below the user range.
    let system = "SELECT c.relname, c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                  WHERE n.nspname IN ('pg_catalog', 'information_schema') AND c.relname IN ('pg_tables', 'tables', 'columns') ORDER BY 1";
    let first = run_in(&emulation, &snapshot, system).await;
    assert_eq!(first.len(), 3, "{first:?}");
    assert!(first.iter().all(|r| r.split('|').nth(1).unwrap().parse::<i64>().unwrap() < 16384), "{first:?}");
    assert_eq!(run_in(&Emulation::new(), &Arc::new(reversed(demo_snapshot())), system).await, first);
}

