from odoo.tests import TransactionCase, new_test_user


class ClinicMeetingCommon(TransactionCase):
    """Two pros (portal users) and a helper to create a waiting meeting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_pro_a = new_test_user(
            cls.env, login="test_pro_a", groups="base.group_portal", name="Dr. Alpha"
        )
        cls.user_pro_b = new_test_user(
            cls.env, login="test_pro_b", groups="base.group_portal", name="Dr. Beta"
        )
        cls.user_manager = new_test_user(
            cls.env,
            login="test_clinic_manager",
            groups="base.group_user,clinic_meeting.group_clinic_manager",
        )
        cls.pro_a, cls.pro_b = cls.env["clinic.pro"].create(
            [
                {"name": "Dr. Alpha", "user_id": cls.user_pro_a.id},
                {"name": "Dr. Beta", "user_id": cls.user_pro_b.id},
            ]
        )

    @classmethod
    def _create_meeting(cls, name="John Doe", birthdate="1980-05-04", guest=None, **values):
        guest = guest or cls.env["mail.guest"].create({"name": name})
        return cls.env["clinic.meeting"].create(
            {
                "name": name,
                "participant_ids": [
                    (
                        0,
                        0,
                        {
                            "role": "patient",
                            "name": name,
                            "birthdate": birthdate,
                            "guest_id": guest.id,
                        },
                    )
                ],
                **values,
            }
        )
