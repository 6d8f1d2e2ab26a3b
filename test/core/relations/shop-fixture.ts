/**
 * A small normalised shop in PostgreSQL for the relation tests: customers, products, orders and
 * order lines with declared foreign keys, and accounts with two foreign keys from transfers (an
 * ambiguous relation). Every table has an updated_at the sync tests move.
 */
export const shopSql = `
  CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, city text,
                          updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2),
                         updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id), status text NOT NULL,
                       ordered_on date, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE TABLE order_lines (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
                            line_no int NOT NULL, product_id int REFERENCES products(id), quantity int NOT NULL,
                            updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE TABLE accounts (id int PRIMARY KEY, owner text);
  CREATE TABLE transfers (id int PRIMARY KEY, from_account int REFERENCES accounts(id),
                          to_account int REFERENCES accounts(id), note text);
  INSERT INTO customers (id, name, city) VALUES
    (1, 'Ada Lovelace', 'London'), (2, 'Grace Hopper', 'Arlington'),
    (3, 'Alan Turing', 'Manchester'), (4, 'Katherine Johnson', 'Hampton');
  INSERT INTO products (id, name, price) VALUES
    (10, 'Orbit Standing Desk Max', 850.99), (11, 'Kestrel Headlamp Pro', 64.99),
    (12, 'Aster Espresso Machine Plus', 689.99), (13, 'Lumen Hiking Backpack Classic', 139.99),
    (14, 'Solace Kettle Mini', 39.99);
  INSERT INTO orders (id, customer_id, status, ordered_on) VALUES
    (100, 1, 'shipped', '2026-03-02'), (101, 2, 'delivered', '2026-03-05'), (102, 3, 'shipped', '2026-04-11'),
    (103, 4, 'processing', '2026-05-01'), (104, 1, 'delivered', '2026-05-20'), (105, 2, 'cancelled', '2026-06-02'),
    (106, NULL, 'processing', '2026-06-03');
  INSERT INTO order_lines (id, order_id, line_no, product_id, quantity) VALUES
    (1000, 100, 1, 10, 1), (1001, 100, 2, 11, 2),
    (1002, 101, 1, 12, 1),
    (1003, 102, 5, 13, 1), (1004, 102, 4, 14, 1), (1005, 102, 3, 11, 1), (1006, 102, 2, 10, 1), (1007, 102, 1, 12, 1),
    (1008, 103, 1, 14, 2),
    (1009, 104, 1, 13, 1);
  INSERT INTO accounts VALUES (1, 'Ada Lovelace'), (2, 'Grace Hopper');
  INSERT INTO transfers VALUES (1, 1, 2, 'rent share');`;

/** Orders with their customer, up to three lines by line number, and each line's product. */
export const orderIncludes = [
  { table: "customers", fields: ["name", "city"] },
  {
    table: "order_lines",
    label: "lines",
    fields: ["quantity"],
    limit: 3,
    order_by: "line_no",
    include: [{ table: "products", fields: ["name"] }],
  },
];

/** Order 100 as a document under `orderIncludes`: its customer, then its lines by line number with their products. */
export const adaOrderText = [
  "status: shipped",
  "customer.name: Ada Lovelace",
  "customer.city: London",
  "lines: quantity: 1; product.name: Orbit Standing Desk Max",
  "lines: quantity: 2; product.name: Kestrel Headlamp Pro",
].join("\n");

/**
 * Warehouses keyed by (region, code), and shipments pointing at one through a composite foreign key.
 * Every region has a warehouse of every code, so a lookup matching the columns one at a time also
 * finds the cross pairs (eu/2 for eu/1 and us/2): only whole keys may match.
 */
export const warehouseSql = `
  CREATE TABLE warehouses (region text, code int, name text NOT NULL,
                           updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (region, code));
  CREATE TABLE shipments (id int PRIMARY KEY, region text, warehouse_code int, status text NOT NULL,
                          updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                          FOREIGN KEY (region, warehouse_code) REFERENCES warehouses (region, code));
  INSERT INTO warehouses (region, code, name) VALUES
    ('eu', 1, 'Rotterdam Dock'), ('eu', 2, 'Lyon Depot'), ('us', 1, 'Newark Yard'), ('us', 2, 'Reno Hub');
  INSERT INTO shipments (id, region, warehouse_code, status) VALUES
    (1, 'eu', 1, 'packed'), (2, 'us', 2, 'in transit'), (3, 'eu', 1, 'delivered'), (4, 'us', 1, 'packed'),
    (5, 'eu', 2, 'returned'), (6, NULL, 1, 'lost');`;
