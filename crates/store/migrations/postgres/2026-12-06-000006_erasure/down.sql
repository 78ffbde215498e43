DROP TABLE user_data_keys;
