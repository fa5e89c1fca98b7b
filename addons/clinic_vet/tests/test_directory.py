from odoo.tests import tagged

from .common import COORDINATES, ClinicVetCommon, ClinicVetHttpCommon, create_vet

NAME_ORDER = ["Dr. Kim Hana", "Dr. Lee Dara", "Dr. Park Mira"]


@tagged("post_install", "-at_install")
class TestDirectoryHttp(ClinicVetHttpCommon):
    """``/vets`` for a visitor: Dr. Kim (Gangnam, online), Dr. Lee (Jongno)
    and Dr. Park (Mapo); the demo's vets are archived."""

    def _cards(self, path):
        """``[(name, distance or None, online)]`` of the directory at ``path``."""
        response = self._get(path)
        self.assertEqual(response.status_code, 200)
        return [
            (
                card.cssselect(".o_clinic_vet_name")[0].text_content(),
                next((d.text_content() for d in card.cssselect(".o_clinic_vet_distance")), None),
                "d-none" not in card.cssselect(".o_clinic_vet_online")[0].classes,
            )
            for card in self._page(response).cssselect(".o_clinic_vet_card")
        ]

    def _names(self, path):
        return [name for name, _distance, _online in self._cards(path)]

    def test_cards(self):
        response = self._get("/vets")
        self.assertEqual(response.status_code, 200)
        cards = self._page(response).cssselect(".o_clinic_vet_card")
        self.assertEqual(len(cards), 3)
        kim = cards[0]
        self.assertEqual(kim.get("href"), "/vets/test-kim")
        self.assertEqual(kim.get("data-vet-id"), str(self.vet_kim.id))
        self.assertEqual(kim.cssselect("img")[0].get("src"), "/vets/test-kim/image")
        self.assertEqual(
            " ".join(kim.text_content().split()),
            "Dr. Kim Hana Online Gangnam, Seoul Dr. Kim Hana sees dogs and cats.",
        )
        self.assertEqual(
            self._cards("/vets"),
            [
                ("Dr. Kim Hana", None, True),
                ("Dr. Lee Dara", None, False),
                ("Dr. Park Mira", None, False),
            ],
        )
        self.assertNotIn("Nearest first.", self._text(response))
        # The page listens to the directory's channel for the badges.
        (directory,) = self._page(response).cssselect(".o_clinic_vet_directory")
        self.assertEqual(directory.get("data-channel"), "clinic_vet.directory")

    def test_text_filter(self):
        for query, names in (
            ("Kim", ["Dr. Kim Hana"]),
            ("  park mira ", ["Dr. Park Mira"]),
            ("mapo", ["Dr. Park Mira"]),
            ("JONGNO", ["Dr. Lee Dara"]),
            ("Seoul", NAME_ORDER),
            ("Dr.", NAME_ORDER),
            ("", NAME_ORDER),
            ("Busan", []),
            ("Kim Gangnam", []),  # one name or one place, not both
        ):
            with self.subTest(query=query):
                self.assertEqual(self._names(f"/vets?q={query}"), names)
        response = self._get("/vets?q=Busan")
        self.assertIn("No vet matches your search.", self._text(response))
        self.assertEqual(self._page(response).cssselect("#o_clinic_vet_q")[0].value, "Busan")
        # A long query is cut, not refused.
        response = self._get(f"/vets?q={'mapo' * 100}")
        self.assertEqual(len(self._page(response).cssselect("#o_clinic_vet_q")[0].value), 100)

    def test_near_me(self):
        lat, lon = COORDINATES["mapo"]
        self.assertEqual(
            self._cards(f"/vets?lat={lat}&lon={lon}"),
            [
                ("Dr. Park Mira", "0.0 km", False),
                ("Dr. Lee Dara", "6.9 km", False),
                ("Dr. Kim Hana", "13.5 km", True),
            ],
        )
        self.assertIn("Nearest first.", self._text(self._get(f"/vets?lat={lat}&lon={lon}")))
        lat, lon = COORDINATES["gangnam"]
        self.assertEqual(
            self._names(f"/vets?lat={lat}&lon={lon}"),
            ["Dr. Kim Hana", "Dr. Lee Dara", "Dr. Park Mira"],
        )
        # With a text filter too.
        self.assertEqual(
            self._names(f"/vets?q=ar&lat={lat}&lon={lon}"), ["Dr. Lee Dara", "Dr. Park Mira"]
        )
        # A position that makes no sense is ignored: the name order.
        for params in (
            "lat=91&lon=126.9",
            "lat=37.5&lon=-181",
            "lat=abc&lon=126.9",
            "lat=nan&lon=126.9",
            "lat=37.5&lon=inf",
            "lat=37.5",
        ):
            with self.subTest(params=params):
                self.assertEqual(self._cards(f"/vets?{params}"), self._cards("/vets"))

    def test_archived_vets_are_hidden(self):
        self.vet_lee.active = False
        lat, lon = COORDINATES["jongno"]
        for path, names in (
            ("/vets", ["Dr. Kim Hana", "Dr. Park Mira"]),
            ("/vets?q=Seoul", ["Dr. Kim Hana", "Dr. Park Mira"]),
            (f"/vets?lat={lat}&lon={lon}", ["Dr. Park Mira", "Dr. Kim Hana"]),
        ):
            with self.subTest(path=path):
                self.assertEqual(self._names(path), names)
        self.assertEqual(self._names("/vets?q=Lee"), [])
        self.assertEqual(self._get("/vets/test-lee").status_code, 404)


class TestDirectorySearch(ClinicVetCommon):
    """``_search_directory``: the distance is computed and sorted by PostgreSQL."""

    def test_one_query_sorted_and_limited_in_the_database(self):
        Vet = self.env["clinic.vet"].sudo()
        lat, lon = COORDINATES["mapo"]
        Vet._search_directory(latitude=lat, longitude=lon)  # warm the caches
        self.env.invalidate_all()
        with self.assertQueryCount(1):
            found = Vet._search_directory(latitude=lat, longitude=lon, limit=2)
        self.assertEqual([vet for vet, _distance in found], [self.vet_park, self.vet_lee])
        self.assertEqual([distance for _vet, distance in found], [0.0, 6.9])
        with self.assertQueryCount(1):
            found = Vet._search_directory("seoul", *COORDINATES["gangnam"])
        self.assertEqual(found, [(self.vet_kim, 0.0), (self.vet_lee, 9.4), (self.vet_park, 13.5)])

    def test_nearest_open(self):
        self.vet_lee.action_open_room()
        lat, lon = COORDINATES["mapo"]
        Vet = self.env["clinic.vet"]
        self.assertEqual(Vet._nearest_open(lat, lon), [(self.vet_lee, 6.9), (self.vet_kim, 13.5)])
        self.assertEqual(
            Vet._nearest_open(lat, lon, exclude=self.vet_lee, limit=1), [(self.vet_kim, 13.5)]
        )
        self.vet_kim.action_close_room()
        self.vet_lee.active = False
        self.assertEqual(Vet._nearest_open(lat, lon), [])

    def test_far_away_and_antipodes(self):
        """Anywhere on Earth, up to the other side of it."""
        # Exactly opposite places: the haversine's sum comes out a hair above
        # 1 here (1 + 2.2e-16), and asin() takes nothing above 1.
        antipode = create_vet(
            self.env,
            "antipode",
            "Dr. Tanu",
            "Far",
            self.calendar,
            coordinates=(-43.70488, 57.328808),
        )
        found = dict(
            self.env["clinic.vet"]._search_directory(latitude=43.70488, longitude=-122.671192)
        )
        self.assertEqual(found[antipode], 20015.1, "half the Earth's circumference")
        self.assertEqual(len(found), 4)
