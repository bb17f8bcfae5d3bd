"""Microsoft Teams adapter on botbuilder (Bot Framework SDK); every botbuilder import stays in this folder."""
