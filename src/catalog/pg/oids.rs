//! Stable OIDs: each object the emulation shows has an OID computed from its names, so it is
//! the same in every connection and after a restart, like PostgreSQL's. DBeaver and pgAdmin
//! cache OIDs across connections.
//!
//! datafusion-pg-catalog counts OIDs per context, from 16384, in the order DataFusion's
//! catalogs list their schemas and tables. That is DashMap order, which changes from one map to
//! the next. So flinkwire renumbers the crate's `pg_class`, `pg_namespace`, `pg_attribute` and
//! `pg_database` rows by name ([`super::tables`]), and uses these OIDs for its own rows.
//!
//! - Flink objects (catalogs, databases, tables and views, primary-key indexes and constraints):
//!   the FNV-1a hash of the object's kind and names, folded into [16384, 2³¹ − 1). That is
//!   PostgreSQL's user range (from `FirstNormalObjectId`) up to the largest int4, because the
//!   crate's OID columns are int4.
//! - System objects: PostgreSQL's own OIDs, as the crate's static rows have them. `pg_catalog`
//!   is 11 and `information_schema` is the OID its `pg_type` rows use. A relation gets its row
//!   type's `typrelid`: the catalogs (`pg_class` = 1259…), the system views and
//!   `information_schema`'s views. The few relations PostgreSQL lacks (DataFusion's
//!   `df_settings`…) are hashed the same way into the free OIDs of [12000, 16384), the range
//!   where initdb puts its objects. They cannot land on another relation's row type there.
//!
//! Collisions: keys are placed in sorted order. Each goes to its hash's slot or, if an earlier
//! key has that slot, to the next free one (wrapping). The result therefore depends only on the
//! set of objects, not on the order the snapshot or a context lists them. Adding an object
//! moves another one only if the new object's slot is already taken by one that sorts after it.
//! With n objects, the chance of that is about n in 2³¹.
//!
//! The hash input (kind tag, names, separators) is part of the contract. Changing it renumbers
//! every object in every client's cache.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;

use datafusion::error::{DataFusionError, Result};

use crate::catalog::snapshot::{MetadataSnapshot, TableKind, TableMeta};

/// PostgreSQL's `FirstNormalObjectId`: the first OID of a user object.
const FIRST_NORMAL_OBJECT_ID: i64 = 16384;
/// PostgreSQL's `FirstUnpinnedObjectId`: initdb's objects after the bootstrap ones (system
/// views, `information_schema`) are numbered from here up to [`FIRST_NORMAL_OBJECT_ID`].
const FIRST_UNPINNED_OBJECT_ID: i64 = 12000;
/// The OIDs of Flink objects. The range ends below 2³¹ so the OIDs fit the crate's int4 columns.
const USER_OIDS: Range<i64> = FIRST_NORMAL_OBJECT_ID..i32::MAX as i64;
/// The OIDs of the system relations that have no fixed one.
const SYSTEM_OIDS: Range<i64> = FIRST_UNPINNED_OBJECT_ID..FIRST_NORMAL_OBJECT_ID;

/// The system schemas with their PostgreSQL OIDs. `pg_catalog` is 11 in every cluster.
/// initdb numbers `information_schema`, so its OID varies between PostgreSQL versions; this is
/// the one in the cluster the crate's static rows were exported from, which its `pg_type` rows
/// (`cardinal_number`, the views' row types) use. A test checks it against the crate's data.
pub const SYSTEM_SCHEMAS: [(&str, i64); 2] = [("pg_catalog", 11), ("information_schema", 13283)];

/// A system relation: one the context lists, or one whose row type the crate's `pg_type` has,
/// with PostgreSQL's OID (`oid`) in the latter case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemRelation {
    pub schema: String,
    pub name: String,
    pub oid: Option<i64>,
}

/// What an OID is for. The discriminant is the first byte of the hash input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum ObjectKind {
    /// A Flink catalog (`pg_database`).
    Database = 1,
    /// A Flink database or a system schema (`pg_namespace`).
    Schema = 2,
    /// A table or view (`pg_class`). One kind for both, as in PostgreSQL, where a table and a
    /// view cannot share a name.
    Relation = 3,
    /// A table's primary-key index (`pg_class` relkind `i`, `pg_index.indexrelid`).
    PrimaryKeyIndex = 4,
    /// A table's primary-key constraint (`pg_constraint`).
    PrimaryKeyConstraint = 5,
}

/// An object by its kind and names: `[catalog, database, name]` for Flink objects (shorter for
/// catalogs and databases), `[schema, name]` for system relations, `[schema]` for system schemas.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    kind: ObjectKind,
    names: Vec<String>,
}

impl ObjectKey {
    fn new(kind: ObjectKind, names: &[&str]) -> Self {
        Self { kind, names: names.iter().map(|n| (*n).to_owned()).collect() }
    }

    pub fn database(catalog: &str) -> Self {
        Self::new(ObjectKind::Database, &[catalog])
    }

    pub fn schema(catalog: &str, database: &str) -> Self {
        Self::new(ObjectKind::Schema, &[catalog, database])
    }

    pub fn relation(catalog: &str, database: &str, name: &str) -> Self {
        Self::new(ObjectKind::Relation, &[catalog, database, name])
    }

    pub fn primary_key_index(catalog: &str, database: &str, table: &str) -> Self {
        Self::new(ObjectKind::PrimaryKeyIndex, &[catalog, database, table])
    }

    pub fn primary_key_constraint(catalog: &str, database: &str, table: &str) -> Self {
        Self::new(ObjectKind::PrimaryKeyConstraint, &[catalog, database, table])
    }

    /// `pg_catalog`, `information_schema`: the same in every database, like PostgreSQL's.
    pub fn system_schema(schema: &str) -> Self {
        Self::new(ObjectKind::Schema, &[schema])
    }

    pub fn system_relation(schema: &str, name: &str) -> Self {
        Self::new(ObjectKind::Relation, &[schema, name])
    }

    /// The hash of the kind tag and the names, each name followed by 0xFF. UTF-8 never contains
    /// that byte, so `["a.b", "c"]` and `["a", "b.c"]` hash different inputs.
    fn stable_hash(&self) -> u64 {
        let names = self.names.iter().flat_map(|n| n.bytes().chain([0xFF]));
        fnv1a(std::iter::once(self.kind as u8).chain(names))
    }
}

/// 64-bit FNV-1a: the same value on every platform and Rust release, unlike `std`'s
/// `DefaultHasher`.
fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.into_iter().fold(OFFSET_BASIS, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

/// OIDs in `range` for `keys`, other than the `reserved` ones. Keys are placed in sorted order,
/// each at its `hash` slot or the next free one after it (wrapping). Returns None when there are
/// more keys than free OIDs.
fn allocate(
    keys: &BTreeSet<ObjectKey>,
    range: Range<i64>,
    reserved: impl IntoIterator<Item = i64>,
    hash: impl Fn(&ObjectKey) -> u64,
) -> Option<HashMap<ObjectKey, i64>> {
    let size = u64::try_from(range.end - range.start).ok()?;
    let mut taken: HashSet<u64> = reserved.into_iter().filter(|oid| range.contains(oid)).map(|oid| (oid - range.start) as u64).collect();
    if (keys.len() + taken.len()) as u64 > size {
        return None;
    }
    let mut oids = HashMap::with_capacity(keys.len());
    for key in keys {
        // Cannot loop forever: there are at least as many free slots as keys.
        let mut slot = hash(key) % size;
        while !taken.insert(slot) {
            slot = (slot + 1) % size;
        }
        oids.insert(key.clone(), range.start + slot as i64);
    }
    Some(oids)
}

/// The OIDs of one snapshot's objects and of the system relations.
#[derive(Debug)]
pub struct Oids {
    by_key: HashMap<ObjectKey, i64>,
}

impl Oids {
    /// The OIDs of every object of `snapshot`, in all its catalogs, so they do not depend on
    /// the session's current catalog. `current_catalog` gets one too when the snapshot lacks it
    /// (it is listed in `pg_database` all the same). A system relation takes its known OID if
    /// any entry of `system` gives one, and a hashed one otherwise.
    pub fn new(snapshot: &MetadataSnapshot, current_catalog: &str, system: &[SystemRelation]) -> Result<Self> {
        let mut user = BTreeSet::from([ObjectKey::database(current_catalog)]);
        for catalog in &snapshot.catalogs {
            user.insert(ObjectKey::database(&catalog.name));
            for database in &catalog.databases {
                user.insert(ObjectKey::schema(&catalog.name, &database.name));
                for table in &database.tables {
                    user.insert(ObjectKey::relation(&catalog.name, &database.name, &table.name));
                    if has_primary_key_index(table) {
                        user.insert(ObjectKey::primary_key_index(&catalog.name, &database.name, &table.name));
                        user.insert(ObjectKey::primary_key_constraint(&catalog.name, &database.name, &table.name));
                    }
                }
            }
        }
        let mut known: HashMap<ObjectKey, i64> = SYSTEM_SCHEMAS.iter().map(|(name, oid)| (ObjectKey::system_schema(name), *oid)).collect();
        let mut unknown = BTreeSet::new();
        for relation in system {
            let key = ObjectKey::system_relation(&relation.schema, &relation.name);
            if let Some(oid) = relation.oid {
                known.insert(key, oid);
            } else {
                unknown.insert(key);
            }
        }
        unknown.retain(|key| !known.contains_key(key));
        let too_many = |what: &str, range: &Range<i64>| DataFusionError::Execution(format!("more {what} than free OIDs in {range:?}"));
        // Every known OID is reserved in both ranges, so no OID is given twice.
        let reserved = || known.values().copied();
        let hashed_system = allocate(&unknown, SYSTEM_OIDS, reserved(), ObjectKey::stable_hash).ok_or_else(|| too_many("system relations", &SYSTEM_OIDS))?;
        let user = allocate(&user, USER_OIDS, reserved(), ObjectKey::stable_hash).ok_or_else(|| too_many("catalog objects", &USER_OIDS))?;
        let by_key = known.into_iter().chain(hashed_system).chain(user).collect();
        Ok(Self { by_key })
    }

    /// The OID of `key`. Every object of the snapshot and every system relation has one.
    pub fn get(&self, key: &ObjectKey) -> Result<i64> {
        self.by_key.get(key).copied().ok_or_else(|| DataFusionError::Internal(format!("no OID for {key:?}")))
    }
}

/// Whether `table` gets a primary-key index (and constraint): a table (not a view) with a key.
pub fn has_primary_key_index(table: &TableMeta) -> bool {
    !table.primary_key.is_empty() && table.kind == TableKind::Table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::pg::tests::demo_snapshot;

    fn keys(names: &[&str]) -> BTreeSet<ObjectKey> {
        names.iter().map(|n| ObjectKey::relation("c", "d", n)).collect()
    }

    /// Each key's OID as `name=oid`, in key order.
    fn placed(oids: &HashMap<ObjectKey, i64>) -> Vec<String> {
        let mut placed: Vec<_> = oids.iter().map(|(k, oid)| (k.names[2].clone(), *oid)).collect();
        placed.sort();
        placed.into_iter().map(|(name, oid)| format!("{name}={oid}")).collect()
    }

    #[test]
    fn the_hash_is_fnv1a() {
        // The published FNV-1a 64 test vectors: the OIDs clients cached stay valid.
        assert_eq!(fnv1a(*b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(*b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(*b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn oids_are_pinned() {
        // A change here renumbers every object in the clients' caches: only on purpose. `orders`
        // is 16384 + FNV-1a(03 "default_catalog" FF "default_database" FF "orders" FF) mod
        // (2³¹ − 1 − 16384).
        let oids = Oids::new(&demo_snapshot(), "default_catalog", &[]).unwrap();
        let orders = oids.get(&ObjectKey::relation("default_catalog", "default_database", "orders")).unwrap();
        let schema = oids.get(&ObjectKey::schema("default_catalog", "default_database")).unwrap();
        assert_eq!((orders, schema), (364_440_599, 1_480_572_806));
        assert_eq!(oids.get(&ObjectKey::system_schema("pg_catalog")).unwrap(), 11);
    }

    #[test]
    fn names_do_not_run_into_each_other() {
        let a = ObjectKey::new(ObjectKind::Relation, &["a.b", "c"]).stable_hash();
        let b = ObjectKey::new(ObjectKind::Relation, &["a", "b.c"]).stable_hash();
        let c = ObjectKey::new(ObjectKind::Relation, &["ab", "c"]).stable_hash();
        assert!(a != b && b != c && a != c);
        assert_ne!(ObjectKey::relation("c", "d", "t").stable_hash(), ObjectKey::primary_key_index("c", "d", "t").stable_hash());
    }

    #[test]
    fn colliding_names_get_the_next_free_oids_in_name_order() {
        // Every key hashes to the same slot: the first in sorted order keeps it, the next ones
        // take the slots after it.
        let same = |_: &ObjectKey| 7;
        let oids = allocate(&keys(&["b", "a", "c"]), 100..110, [], same).unwrap();
        assert_eq!(placed(&oids), ["a=107", "b=108", "c=109"]);
        // Probing wraps at the end of the range.
        let oids = allocate(&keys(&["a", "b", "c", "d"]), 100..110, [], |_: &ObjectKey| 8).unwrap();
        assert_eq!(placed(&oids), ["a=108", "b=109", "c=100", "d=101"]);
        // A key that sorts after the others and collides with them moves, not them.
        let oids = allocate(&keys(&["a", "b", "c", "z"]), 100..110, [], same).unwrap();
        assert_eq!(placed(&oids)[..3], ["a=107", "b=108", "c=109"]);
        assert_eq!(placed(&oids)[3], "z=100");
        // Reserved OIDs are skipped.
        let oids = allocate(&keys(&["a", "b"]), 100..110, [107, 109, 50], same).unwrap();
        assert_eq!(placed(&oids), ["a=108", "b=100"]);
        // A full range is an error, not an endless search.
        assert!(allocate(&keys(&["a", "b"]), 100..101, [], same).is_none());
        assert!(allocate(&keys(&["a", "b"]), 100..102, [101], same).is_none());
    }

    #[test]
    fn real_hashes_in_a_tiny_range_collide_deterministically() {
        let names: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
        let forward: BTreeSet<ObjectKey> = names.iter().map(|n| ObjectKey::relation("c", "d", n)).collect();
        let backward: BTreeSet<ObjectKey> = names.iter().rev().map(|n| ObjectKey::relation("c", "d", n)).collect();
        // 40 keys in 50 slots: collisions are certain.
        let homes: HashSet<u64> = forward.iter().map(|k| k.stable_hash() % 50).collect();
        assert!(homes.len() < 40);
        let first = allocate(&forward, 1000..1050, [], ObjectKey::stable_hash).unwrap();
        assert_eq!(allocate(&backward, 1000..1050, [], ObjectKey::stable_hash).unwrap(), first);
        let distinct: HashSet<i64> = first.values().copied().collect();
        assert_eq!(distinct.len(), 40);
        assert!(distinct.iter().all(|oid| (1000..1050).contains(oid)));
    }

    #[test]
    fn a_catalog_outside_the_snapshot_has_an_oid() {
        let snapshot = demo_snapshot();
        let oids = Oids::new(&snapshot, "elsewhere", &[]).unwrap();
        let elsewhere = oids.get(&ObjectKey::database("elsewhere")).unwrap();
        assert!(USER_OIDS.contains(&elsewhere));
        // The snapshot's own objects do not depend on it (no collision here).
        let orders = ObjectKey::relation("default_catalog", "default_database", "orders");
        assert_eq!(oids.get(&orders).unwrap(), Oids::new(&snapshot, "default_catalog", &[]).unwrap().get(&orders).unwrap());
    }

    #[test]
    fn system_relations_take_known_oids_or_free_ones_below_the_user_range() {
        let relation = |schema: &str, name: &str, oid: Option<i64>| SystemRelation { schema: schema.into(), name: name.into(), oid };
        let unknown = [relation("pg_catalog", "pg_new_view", None), relation("information_schema", "df_settings", None)];
        // The listed relation without an OID and the known one of the same name are one.
        let listed_and_known = [relation("pg_catalog", "pg_class", None), relation("pg_catalog", "pg_class", Some(1259))];
        // Known OIDs in SYSTEM_OIDS, where the unknown relations would land otherwise.
        let homes: Vec<SystemRelation> = unknown
            .iter()
            .map(|r| {
                let home = SYSTEM_OIDS.start + (ObjectKey::system_relation(&r.schema, &r.name).stable_hash() % (SYSTEM_OIDS.end - SYSTEM_OIDS.start) as u64) as i64;
                relation("pg_catalog", &format!("{}_home", r.name), Some(home))
            })
            .collect();
        let system: Vec<SystemRelation> = unknown.iter().chain(&listed_and_known).chain(&homes).cloned().collect();
        let oids = Oids::new(&demo_snapshot(), "default_catalog", &system).unwrap();
        assert_eq!(oids.get(&ObjectKey::system_relation("pg_catalog", "pg_class")).unwrap(), 1259);
        assert_eq!(oids.get(&ObjectKey::system_schema("information_schema")).unwrap(), 13283);
        for (r, home) in unknown.iter().zip(&homes) {
            let oid = oids.get(&ObjectKey::system_relation(&r.schema, &r.name)).unwrap();
            assert!(SYSTEM_OIDS.contains(&oid), "{r:?}: {oid}");
            assert_eq!(oid, home.oid.unwrap() + 1, "{r:?}: the next free OID after its taken home");
        }
    }
}
