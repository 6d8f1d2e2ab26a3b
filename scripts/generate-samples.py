"""Generates the bundled sample data (data/samples) deterministically: a product catalogue (CSV),
support articles (JSONL), and a small normalised shop over the same products: customers, orders
and order lines (CSV), whose rows only make sense joined (docs/relations.md).
Run: python3 scripts/generate-samples.py

Values are plausible for each kind of product (a backpack holds 20 to 65 litres and costs what
backpacks cost), and every product has the identifiers people search by: a SKU such as
SKU-BP-4821 and a model number. Some support articles name the error codes devices show."""
import csv
import json
import re
import random
from pathlib import Path

random.seed(20261130)
out = Path(__file__).resolve().parent.parent / "data" / "samples"
out.mkdir(parents=True, exist_ok=True)

# (name, SKU code, description template, {placeholder: choices}, price range in euros)
categories = {
    "Office furniture": [
        ("standing desk", "SD", "an electric height-adjustable desk with a memory keypad and a {w} cm {m} top, lifting 80 kg",
         {"w": [120, 140, 160, 180], "m": ["oak", "walnut", "bamboo", "white laminate"]}, (290, 890)),
        ("ergonomic chair", "EC", "a mesh office chair with adjustable lumbar support, 4D armrests and a {m} base, for people up to {w} kg",
         {"w": [110, 120, 135, 150], "m": ["aluminium", "nylon", "polished steel"]}, (180, 1150)),
        ("filing cabinet", "FC", "a lockable three-drawer filing cabinet in {m}, {w} cm deep, fits A4 and letter folders",
         {"w": [45, 52, 60], "m": ["powder-coated steel", "oak veneer", "walnut veneer"]}, (120, 420)),
        ("monitor arm", "MA", "a gas-spring monitor arm holding screens up to {w} inches and {m} kg, clamp or grommet mount",
         {"w": [27, 32, 34, 49], "m": [8, 9, 12, 15]}, (40, 240)),
        ("bookshelf", "BS", "a five-shelf bookcase in {m}, {w} cm wide, with adjustable shelves",
         {"w": [60, 80, 90, 120], "m": ["oak", "walnut", "ash", "birch plywood"]}, (70, 390)),
    ],
    "Kitchen": [
        ("espresso machine", "EM", "a 15-bar espresso machine with a steam wand and a {w} ml water tank",
         {"w": [1200, 1500, 1800, 2000]}, (160, 1190)),
        ("chef's knife", "CK", "a {w} cm chef's knife forged from {m} steel with a full tang",
         {"w": [18, 20, 21, 24], "m": ["VG-10", "X50CrMoV15", "high-carbon", "Damascus"]}, (35, 280)),
        ("cast iron skillet", "CS", "a pre-seasoned {w} cm cast iron skillet that works on induction",
         {"w": [20, 25, 26, 30]}, (25, 120)),
        ("blender", "BL", "a {w} W blender with a {m} jar, pulse mode and six speeds",
         {"w": [600, 900, 1200, 1500], "m": ["glass", "Tritan", "stainless steel"]}, (40, 480)),
        ("kettle", "KT", "a {w} litre electric kettle in {m} with temperature presets for tea",
         {"w": ["1.0", "1.2", "1.5", "1.7"], "m": ["stainless steel", "glass", "matte ceramic"]}, (25, 150)),
    ],
    "Outdoor": [
        ("hiking backpack", "BP", "a {w} litre hiking backpack with a rain cover and a ventilated {m} back panel, weighing {kg} kg",
         {"w": [20, 28, 32, 38, 45, 55, 65], "m": ["mesh", "aluminium-framed mesh", "foam"], "kg": ["0.9", "1.1", "1.3", "1.6", "1.9"]}, (60, 320)),
        ("camping tent", "TN", "a two-person tent, {w} kg packed, with {m} poles and a full-coverage fly",
         {"w": ["1.4", "1.8", "2.1", "2.6", "3.2"], "m": ["aluminium", "carbon", "fibreglass"]}, (120, 690)),
        ("sleeping bag", "SB", "a mummy sleeping bag rated to {w} °C with a {m} filling",
         {"w": [-10, -5, 0, 2, 5, 8], "m": ["duck down", "goose down", "synthetic"]}, (60, 450)),
        ("headlamp", "HL", "a rechargeable headlamp giving {w} lumens, with a red night mode and {m} housing",
         {"w": [200, 350, 450, 600, 900], "m": ["aluminium", "polycarbonate"]}, (25, 120)),
        ("water filter", "WF", "a squeeze water filter removing 99.99% of bacteria, filtering {w} litres a minute",
         {"w": ["0.5", "1.0", "1.5", "1.7"]}, (20, 60)),
    ],
    "Electronics": [
        ("noise-cancelling headphones", "HP", "over-ear wireless headphones with {w} hours of battery and {m} ear cushions",
         {"w": [20, 30, 40, 50, 60], "m": ["protein leather", "velour", "memory foam"]}, (80, 450)),
        ("mechanical keyboard", "KB", "a tenkeyless mechanical keyboard with hot-swappable {m} switches",
         {"m": ["linear red", "tactile brown", "clicky blue"]}, (60, 250)),
        ("USB-C hub", "UH", "a {w}-in-1 USB-C hub with HDMI 4K output, Ethernet and 100 W pass-through charging",
         {"w": [5, 7, 8, 10, 12]}, (25, 120)),
        ("portable SSD", "SS", "a {w} GB portable SSD in a {m} shell, up to 1,050 MB/s",
         {"w": [500, 1000, 2000, 4000], "m": ["aluminium", "rubberised"]}, (60, 380)),
        ("webcam", "WC", "a 1080p webcam with a {w}-degree field of view and a privacy shutter",
         {"w": [65, 78, 90]}, (40, 200)),
    ],
}
brands = {"Northwind": "NW", "Aster": "AS", "Fjord & Co": "FJ", "Kestrel": "KS", "Lumen": "LM", "Orbit": "OB",
          "Pinecrest": "PC", "Solace": "SL"}
editions = ["Lite", "Pro", "Max", "Mini", "Classic", "Plus"]

used_skus = set()
used_models = set()


def title_case(words):
    """'chef's knife' → "Chef's Knife" (str.title would give "Chef'S"), 'USB-C hub' → 'USB-C Hub'."""
    return " ".join(word[0].upper() + word[1:] for word in words.split())


with (out / "products.csv").open("w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle)
    writer.writerow(["id", "sku", "model", "name", "brand", "category", "price", "in_stock", "rating", "added_on", "description"])
    product_id = 1000
    for category, items in categories.items():
        for name, code, template, choices, (low, high) in items:
            for _ in range(15):
                product_id += 1
                values = {key: random.choice(options) for key, options in choices.items()}
                brand = random.choice(list(brands))
                edition = random.choice(editions)
                # "an 18 cm knife", "an 800 W blender": the article follows the number's sound.
                description = re.sub(r"\ba (?=8|11\b|18\b)", "an ", template.format(**values))
                # Bigger editions cost more: the price sits in the product's range by edition.
                position = {"Mini": 0.1, "Lite": 0.25, "Classic": 0.45, "Plus": 0.6, "Pro": 0.75, "Max": 0.9}[edition]
                price = round(low + (high - low) * min(1, max(0, random.gauss(position, 0.08)))) - 0.01
                sku = f"SKU-{code}-{random.randint(1000, 9999)}"
                while sku in used_skus:
                    sku = f"SKU-{code}-{random.randint(1000, 9999)}"
                used_skus.add(sku)
                size = str(values.get("w", "")).replace(".", "").replace("-", "M")
                model = f"{brands[brand]}-{code}{size}{edition[0]}{random.randint(1, 9)}"
                while model in used_models:
                    model = f"{brands[brand]}-{code}{size}{edition[0]}{random.randint(1, 9)}"
                used_models.add(model)
                writer.writerow([
                    product_id,
                    sku,
                    model,
                    f"{brand} {title_case(name)} {edition}",
                    brand,
                    category,
                    f"{price:.2f}",
                    random.choice(["true", "true", "true", "false"]),
                    round(random.uniform(3.2, 4.9), 1),
                    f"2026-{random.randint(1, 10):02d}-{random.randint(1, 28):02d}",
                    f"{description[0].upper()}{description[1:]}. Ships in {random.randint(1, 10)} days with a {random.choice([1, 2, 3, 5])}-year warranty.",
                ])

topics = [
    ("Returns", "How do I return an item?", "You can return any item within 30 days of delivery. Start a return from Orders, print the prepaid label and drop the parcel at any carrier point. Refunds reach your card within 5 business days after we receive the item."),
    ("Returns", "Can I exchange a product for another size or colour?", "Yes. Choose Exchange instead of Return in your order and pick the new variant; we ship it as soon as the original is scanned by the carrier."),
    ("Shipping", "How long does delivery take?", "Standard delivery takes 3 to 5 business days in mainland Europe. Express delivery arrives the next business day when ordered before 14:00 CET."),
    ("Shipping", "Do you ship internationally?", "We ship to 42 countries. Duties and taxes for destinations outside the EU are shown at checkout and paid in advance, so there are no surprises on delivery."),
    ("Account", "How do I reset my password?", "Click 'Forgot password' on the sign-in page and enter your email address. The reset link is valid for 60 minutes; check your spam folder if it does not arrive."),
    ("Account", "How do I delete my account?", "Go to Settings, Privacy, Delete account. Your order history is kept for 7 years for tax purposes, anonymised; everything else is erased within 30 days."),
    ("Payments", "Which payment methods do you accept?", "We accept Visa, Mastercard, American Express, PayPal, Apple Pay and bank transfer. Invoices for companies are payable within 30 days."),
    ("Payments", "Why was my card declined?", "Most declines come from the bank's fraud checks or a mismatched billing address; checkout then shows error PAY-402. Try again after confirming the payment in your banking app, or use another method."),
    ("Warranty", "What does the warranty cover?", "The warranty covers manufacturing defects for the period shown on the product page. It does not cover wear, accidents or damage from misuse. Keep your order number as proof of purchase."),
    ("Warranty", "How do I claim a repair under warranty?", "Open a warranty claim from the order, describe the fault and attach a photo. We send a prepaid label; repairs take about 10 business days, or we replace the item."),
    ("Products", "How do I assemble the standing desk?", "The desk ships in two boxes. Attach the legs to the frame with the eight M6 bolts, connect the motor cable and the keypad, then screw the top on with the 16 wood screws. Assembly takes about 40 minutes with two people."),
    ("Products", "How do I descale the espresso machine?", "Descale every two months with the supplied solution: fill the tank with solution and water 1:4, run it through the group head and steam wand, then rinse twice with clean water."),
    ("Products", "The standing desk keypad shows E07", "E07 means the control box stopped the motors after an overload or a collision. Clear anything under the desk and lift at most 80 kg, then hold the down button for 10 seconds until the desk lowers fully and resets. If E07 comes back, the motor cable may be loose: reseat it, or open a warranty claim."),
    ("Products", "The espresso machine blinks E3", "E3 is the descaling reminder: it appears after about 80 litres of water. Run a descaling cycle as described in the manual; the light goes off when the cycle ends. E4 instead means the water tank is empty or not seated."),
    ("Shipping", "Tracking shows DLV-17 'address incomplete'", "DLV-17 means the carrier could not match the address, usually a missing flat number. Add it under Orders, Delivery address within 48 hours and the parcel goes out again the next business day; after that it returns to us and we refund you."),
]
rounds = 8  # 15 topics × 8 = 120 articles
with (out / "articles.jsonl").open("w", encoding="utf-8") as handle:
    article_id = 0
    for round_number in range(rounds):
        for section, title, body in topics:
            article_id += 1
            handle.write(json.dumps({
                "id": f"KB-{article_id:04d}",
                "section": section,
                "title": title if round_number == 0 else f"{title} (update {round_number})",
                "body": body,
                "views": random.randint(10, 50_000),
                "updated_at": f"2026-{random.randint(1, 11):02d}-{random.randint(1, 28):02d}T{random.randint(0, 23):02d}:00:00Z",
                "tags": random.sample(["faq", "orders", "howto", "policy", "billing", "setup"], 2),
            }) + "\n")
# The shop comes last and draws from its own generator, so the catalogue and articles above stay
# exactly as they were (tests depend on their rows).
shop = random.Random(20261201)
first_names = ["Maren", "Tomás", "Ingrid", "Lukas", "Sofia", "Jonas", "Elif", "Matteo", "Hanna", "Piotr", "Chiara",
               "Niels", "Aoife", "Mehmet", "Clara", "Rui", "Freya", "Bastien", "Lena", "Dario", "Saoirse", "Emil",
               "Zofia", "Henrik", "Amélie", "Oskar", "Ilse", "Marco", "Agnes", "Viktor"]
last_names = ["Holst", "Ferreira", "Lindqvist", "Becker", "Rossi", "Nowak", "Dubois", "Jansen", "Kowalski", "Moretti",
              "Andersen", "Murphy", "Yilmaz", "Schmidt", "Costa", "Berg", "Laurent", "Visser", "Novak", "Keller",
              "Brennan", "Svensson", "Horvat", "Richter", "Marchetti", "Dahl", "Fischer", "Lambert", "Quinn", "Weber"]
cities = [("Copenhagen", "Denmark"), ("Lisbon", "Portugal"), ("Stockholm", "Sweden"), ("Munich", "Germany"),
          ("Milan", "Italy"), ("Kraków", "Poland"), ("Lyon", "France"), ("Utrecht", "Netherlands"),
          ("Dublin", "Ireland"), ("Vienna", "Austria"), ("Ghent", "Belgium"), ("Ljubljana", "Slovenia")]
with (out / "products.csv").open(encoding="utf-8") as handle:
    prices = {int(row["id"]): row["price"] for row in csv.DictReader(handle)}

customers = []
names_taken = set()
while len(customers) < 60:
    name = f"{shop.choice(first_names)} {shop.choice(last_names)}"
    if name in names_taken:
        continue
    names_taken.add(name)
    city, country = shop.choice(cities)
    email = name.lower().replace(" ", ".").translate(str.maketrans("áéíóúàèìòùäöüåøçñ", "aeiouaeiouaouaocn"))
    customers.append([len(customers) + 1, name, f"{email}@example.com", city, country,
                      f"2025-{shop.randint(1, 12):02d}-{shop.randint(1, 28):02d}"])
with (out / "customers.csv").open("w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle)
    writer.writerow(["id", "name", "email", "city", "country", "joined_on"])
    writer.writerows(customers)

orders = []
lines = []
for number in range(150):
    order_id = 5001 + number
    customer = shop.choice(customers)
    month = shop.randint(1, 11)
    status = shop.choice(["delivered"] * 6 + ["shipped"] * 2 + ["processing", "cancelled"])
    orders.append([order_id, customer[0], f"2026-{month:02d}-{shop.randint(1, 28):02d}", status,
                   shop.choice(["standard", "standard", "express"])])
    # Most orders hold one or two products, a few up to five; a product appears once per order.
    for line_no, product_id in enumerate(shop.sample(sorted(prices), shop.choice([1, 1, 1, 2, 2, 2, 3, 4, 5])), start=1):
        lines.append([len(lines) + 1, order_id, line_no, product_id, shop.choice([1, 1, 1, 1, 2, 2, 3]), prices[product_id]])
with (out / "orders.csv").open("w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle)
    writer.writerow(["id", "customer_id", "ordered_on", "status", "shipping"])
    writer.writerows(orders)
with (out / "order_lines.csv").open("w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle)
    writer.writerow(["id", "order_id", "line_no", "product_id", "quantity", "unit_price"])
    writer.writerows(lines)
print(f"wrote {out}")
