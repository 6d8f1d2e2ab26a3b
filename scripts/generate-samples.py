"""Generates the bundled sample data (data/samples) deterministically: a product catalogue (CSV)
and support articles (JSONL). Run: python3 scripts/generate-samples.py"""
import csv
import json
import random
from pathlib import Path

random.seed(20261123)
out = Path(__file__).resolve().parent.parent / "data" / "samples"
out.mkdir(parents=True, exist_ok=True)

categories = {
    "Office furniture": [
        ("standing desk", "an electric height-adjustable desk with a memory keypad and a {w} cm {m} top"),
        ("ergonomic chair", "a mesh office chair with adjustable lumbar support, 4D armrests and a {m} base"),
        ("filing cabinet", "a lockable three-drawer filing cabinet in {m}, fits A4 and letter folders"),
        ("monitor arm", "a gas-spring monitor arm holding screens up to {w} inches, clamp or grommet mount"),
        ("bookshelf", "a five-shelf bookcase in {m}, {w} cm wide, with adjustable shelves"),
    ],
    "Kitchen": [
        ("espresso machine", "a 15-bar espresso machine with a steam wand and a {w} ml water tank"),
        ("chef's knife", "a {w} cm chef's knife forged from {m} steel with a full tang"),
        ("cast iron skillet", "a pre-seasoned {w} cm cast iron skillet that works on induction"),
        ("blender", "a {w} W blender with a {m} jar, pulse mode and six speeds"),
        ("kettle", "a {w} litre electric kettle in {m} with temperature presets for tea"),
    ],
    "Outdoor": [
        ("hiking backpack", "a {w} litre hiking backpack with a rain cover and a ventilated {m} back panel"),
        ("camping tent", "a two-person tent, {w} kg packed, with {m} poles and a full-coverage fly"),
        ("sleeping bag", "a mummy sleeping bag rated to {w} degrees with a {m} filling"),
        ("headlamp", "a rechargeable headlamp giving {w} lumens, with a red night mode and {m} housing"),
        ("water filter", "a squeeze water filter removing 99.99% of bacteria, {w} litres per hour"),
    ],
    "Electronics": [
        ("noise-cancelling headphones", "over-ear wireless headphones with {w} hours of battery and {m} ear cushions"),
        ("mechanical keyboard", "a tenkeyless mechanical keyboard with hot-swappable {m} switches"),
        ("USB-C hub", "a {w}-in-1 USB-C hub with HDMI 4K output, Ethernet and 100 W pass-through charging"),
        ("portable SSD", "a {w} GB portable SSD in a {m} shell, up to 1,050 MB/s"),
        ("webcam", "a 1080p webcam with a {w}-degree field of view and a privacy shutter"),
    ],
}
materials = ["oak", "walnut", "aluminium", "steel", "bamboo", "recycled plastic", "ash", "carbon", "ceramic", "glass"]
brands = ["Northwind", "Aster", "Fjord & Co", "Kestrel", "Lumen", "Orbit", "Pinecrest", "Solace"]

with (out / "products.csv").open("w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle)
    writer.writerow(["id", "name", "brand", "category", "price", "in_stock", "rating", "added_on", "description"])
    product_id = 1000
    for category, items in categories.items():
        for name, template in items:
            for _ in range(15):
                product_id += 1
                material = random.choice(materials)
                size = random.choice([12, 20, 28, 32, 40, 60, 80, 120, 140, 160, 500, 1200])
                brand = random.choice(brands)
                description = template.format(w=size, m=material)
                price = round(random.uniform(9, 900), 2)
                writer.writerow([
                    product_id,
                    f"{brand} {name.title()} {random.choice(['Lite', 'Pro', 'Max', 'Mini', 'Classic', 'Plus'])}",
                    brand,
                    category,
                    f"{price:.2f}",
                    random.choice(["true", "false"]),
                    round(random.uniform(2.5, 5.0), 1),
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
    ("Payments", "Why was my card declined?", "Most declines come from the bank's fraud checks or a mismatched billing address. Try again after confirming the payment in your banking app, or use another method."),
    ("Warranty", "What does the warranty cover?", "The warranty covers manufacturing defects for the period shown on the product page. It does not cover wear, accidents or damage from misuse. Keep your order number as proof of purchase."),
    ("Warranty", "How do I claim a repair under warranty?", "Open a warranty claim from the order, describe the fault and attach a photo. We send a prepaid label; repairs take about 10 business days, or we replace the item."),
    ("Products", "How do I assemble the standing desk?", "The desk ships in two boxes. Attach the legs to the frame with the eight M6 bolts, connect the motor cable and the keypad, then screw the top on with the 16 wood screws. Assembly takes about 40 minutes with two people."),
    ("Products", "How do I descale the espresso machine?", "Descale every two months with the supplied solution: fill the tank with solution and water 1:4, run it through the group head and steam wand, then rinse twice with clean water."),
]
with (out / "articles.jsonl").open("w", encoding="utf-8") as handle:
    article_id = 0
    for round_number in range(10):
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
print(f"wrote {out}")
