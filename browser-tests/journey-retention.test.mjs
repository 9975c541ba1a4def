// Journey (SR-30, retention): a pupil who moved on to another school a few days ago is past
// the time this school keeps a copy (set to one day here); the daily review (`senco retention review`) flags them and
// the SENCO finds them from the register under "Records due for destruction". Approving
// without ticking the confirmation is refused with an error; the SENCO keeps the records
// instead, with a reason and a date, and the list says until when. Run with JavaScript on
// (axe on every page, no page errors) and off, each pass with its own pupil.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  step, trackPageErrors, assertNoPageErrors, sencoBin
} from './lib/harness.mjs'

const exec = promisify(execFile)

async function senco (args, databaseUrl) {
  return exec(sencoBin(), [...args, '--database-url', databaseUrl], { timeout: 60_000 })
}

describe('journey: records due for destruction', () => {
  let app

  before(async () => {
    app = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await app?.stop()
  })

  for (const [index, javaScriptEnabled] of [true, false].entries()) {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'

    test(`a review is refused without confirmation and kept with a reason (${mode})`, { timeout: 240_000 }, async () => {
      const sencoAccount = app.accounts.find(a => a.role === 'senco' && app.samplePupils.some(p => p.school_urn === a.school_urn))
      assert.ok(sencoAccount, 'the demo data has a SENCO with a sample pupil')
      const pupil = app.samplePupils.filter(p => p.school_urn === sencoAccount.school_urn)[index]
      assert.ok(pupil, 'the SENCO\'s school has two sample pupils')
      const name = `${pupil.legal_forename} ${pupil.legal_surname}`
      // Left three days ago for another school; this installation keeps such a copy a day.
      const left = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10)
      await senco(['settings', 'set', 'retention.transferred_out_days', '1'], app.databaseUrl)
      await senco(['retention', 'leave', '--pupil', pupil.id, '--on', left, '--transferred-out'], app.databaseUrl)
      await senco(['retention', 'review'], app.databaseUrl)

      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      const a11y = async label => { if (javaScriptEnabled) await checkAccessibility(page, `retention-${label}-js`) }
      try {
        await step(page, `${mode} the SENCO finds the records due`, async () => {
          await signIn(page, sencoAccount)
          await page.goto('/register')
          await page.getByRole('link', { name: 'Records due for destruction' }).click()
          await page.waitForURL(url => url.pathname === '/retention')
          await page.getByRole('heading', { name: 'Records due for destruction', level: 1 }).waitFor()
          const row = page.getByRole('row', { name: new RegExp(name) })
          assert.match(await row.innerText(), /Moved to another school\s+\d+ \w+ \d{4}\s+Waiting for a decision/)
          await a11y('list')
          await row.getByRole('link', { name: /Decide/ }).click()
          await page.getByRole('heading', { name, level: 1 }).waitFor()
          await a11y('review')
        })

        await step(page, `${mode} approving needs the confirmation`, async () => {
          await page.getByRole('button', { name: 'Approve destruction' }).click()
          await page.locator('.govuk-error-summary').waitFor()
          assert.match(await page.locator('.govuk-error-summary').innerText(), /Confirm that the records should be destroyed/)
          await a11y('review-error')
        })

        await step(page, `${mode} the records are kept with a reason`, async () => {
          await page.getByLabel('Why the records are kept').fill('The new school has not yet confirmed it received the file')
          await page.getByLabel('Day').fill('1')
          await page.getByLabel('Month').fill('9')
          await page.getByLabel('Year').fill('2027')
          await page.getByRole('button', { name: 'Keep the records' }).click()
          await page.waitForURL(url => url.pathname === '/retention')
          assert.match(await page.locator('main').innerText(), /The records are kept, with your reason\./)
          const row = page.getByRole('row', { name: new RegExp(name) })
          assert.match(await row.innerText(), /Kept until 1 September 2027/)
          await a11y('kept')
        })
        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
      }
    })
  }
})
