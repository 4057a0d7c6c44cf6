#!/usr/bin/env python3
"""Write a contacts CSV of N rows in Keap/Infusionsoft's header style, for
import benchmarks: python3 bench/gen_contacts.py 1000000 > /tmp/contacts-1m.csv

Deterministic (fixed seed); unique emails; countries across the EU and beyond,
some empty; a few source labels, tags and created dates."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rnd = random.Random(42)
first = ["Anna", "Lukas", "Marie", "Jonas", "Camille", "Hugo", "Lucía", "Mateo", "Giulia", "Sven", "Aoife", "Olivia", "Noah", "Zofia"]
last = ["Müller", "Schmidt", "Martin", "García", "Rossi", "Jansen", "Nowak", "Andersson", "Murphy", "Smith", "Johnson", "Dubois"]
countries = ["DE", "FR", "ES", "IT", "NL", "PL", "SE", "IE", "AT", "BE", "US", "GB", "CH", "CA", "Germany", "France", ""]
sources = ["webform:newsletter", "purchase", "webinar", "referral", "in_person"]
tags = ["", "", "vip", "newsletter", "wholesale"]
w = sys.stdout
w.write("First Name,Last Name,Email,Phone 1,Street Address 1,City,Postal Code,Country,Company,Lead Source,Tags,Date Created\n")
for i in range(n):
    f, l = rnd.choice(first), rnd.choice(last)
    w.write(f'{f},{l},{f.lower()}.{i}@example.com,+49 30 {i:07d},"Hauptstraße {i % 200}, Hinterhaus",Berlin,{10000 + i % 89999},'
            f'{rnd.choice(countries)},,{rnd.choice(sources)},{rnd.choice(tags)},2024-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00\n')
